import type { EventRecord } from "../replay/events.js";
import { decodeEvent, type RunEvent } from "../replay/run-event.js";

/**
 * An event read from a Store directly, as people and scripts read it: recorded values decoded from
 * their JSON text. Events from the client (`client.events`, `run.events()`) are decoded already.
 * @example presentEvent({ type: "hook.received", payload: '{"ok":true}', … }).payload // { ok: true }
 */
export function presentEvent(e: EventRecord): RunEvent {
  return decodeEvent(e);
}
