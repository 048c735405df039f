import type { EventRecord } from "./events.js";
import { decodeValue } from "./values.js";

/**
 * Event fields that hold a recorded value (run input and output, a step's result, a hook's payload
 * or a webhook's request). The store and replay keep them as JSON text, so replay hands the code
 * byte-identical data; everything that hands events out decodes them first.
 */
const VALUE_FIELDS = ["input", "result", "output", "payload"] as const;
type ValueField = (typeof VALUE_FIELDS)[number];

/** An event type with its recorded-value fields as the values themselves, not their JSON text. */
export type Decoded<E> = E extends unknown
  ? { [K in keyof E]: K extends ValueField ? unknown : E[K] }
  : never;

/**
 * An event as `run.events()`, `client.events()`, the HTTP API and `latch runs logs` hand it out:
 * its position in the log (`seq`), when it was written (`at`), and recorded values decoded —
 * `hook.received.payload` is `{ approved: true }`, never `'{"approved":true}'`.
 *
 * @example
 * const [received] = await run.events({ typePrefix: "hook.received" });
 * if (received?.type === "hook.received") console.log(received.payload); // { approved: true, … }
 */
export type RunEvent = Decoded<EventRecord>;

/** A run event of one type, such as `RunEventOf<"hook.received">`. */
export type RunEventOf<T extends RunEvent["type"]> = Extract<RunEvent, { type: T }>;

/**
 * Decodes the recorded values of a stored event (see VALUE_FIELDS); other fields are kept as they
 * are. @example decodeEvent({ type: "hook.received", payload: '{"ok":true}', … }).payload // { ok: true }
 */
export function decodeEvent(e: EventRecord): RunEvent {
  const out: Record<string, unknown> = { ...e };
  for (const f of VALUE_FIELDS) {
    if (typeof out[f] === "string") out[f] = decodeValue(out[f] as string);
  }
  return out as RunEvent;
}
