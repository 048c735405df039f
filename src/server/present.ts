import type { EventRecord } from "../replay/events.js";
import { decodeValue } from "../replay/values.js";

/** Event fields that hold recorded values as JSON text. */
const VALUE_FIELDS = ["input", "result", "output", "payload"] as const;

/**
 * An event as people and scripts read it: recorded values decoded from their JSON text, so a
 * payload reads `{ "approved": true }` rather than a string of escaped JSON.
 * @example presentEvent({ type: "hook.received", payload: '{"ok":true}', … }).payload // { ok: true }
 */
export function presentEvent(e: EventRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { ...e };
  for (const f of VALUE_FIELDS) {
    if (typeof out[f] === "string") out[f] = decodeValue(out[f] as string);
  }
  return out;
}
