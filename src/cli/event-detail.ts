import type { RunEvent } from "../replay/run-event.js";
import { time } from "./output.js";

/** What an event exists to show comes first: the recorded value, then what went wrong. */
const FIRST = ["payload", "result", "output", "input", "error", "issues", "reason", "name"];
/** Bulky and rarely what one looks for: last. */
const LAST = ["schema", "metadata"];
const TIMES = new Set(["receivedAt", "wakeAt", "until", "retryAt", "deadline", "expiresAt"]);
const VALUES = new Set(["payload", "result", "output", "input"]);

/**
 * The DETAIL cell of `latch runs logs`: `key=value` pairs, the recorded value first and whole — a
 * `hook.received` row shows its payload, however long (the table wraps it, never cuts it).
 * @example eventDetail(received) // 'payload={"approved":true}  hookId=hook_…  token=…  inboxId=3  receivedAt=…'
 */
export function eventDetail(e: RunEvent): string {
  const { seq: _seq, at: _at, type: _type, ...rest } = e as Record<string, unknown>;
  const keys = Object.keys(rest).filter((k) => rest[k] !== undefined);
  const ordered = [
    ...FIRST.filter((k) => keys.includes(k)),
    ...keys.filter((k) => !FIRST.includes(k) && !LAST.includes(k)),
    ...LAST.filter((k) => keys.includes(k)),
  ];
  return ordered.map((k) => `${k}=${show(k, rest[k])}`).join("  ");
}

function show(key: string, value: unknown): string {
  // A recorded value is shown exactly as JSON, so the string "42" and the number 42 differ.
  if (VALUES.has(key)) return JSON.stringify(value);
  if (TIMES.has(key) && typeof value === "number") return time(value);
  if (key === "error" && value && typeof value === "object") {
    const err = value as { name?: string; message?: string };
    return JSON.stringify(`${err.name ?? "Error"}: ${err.message ?? ""}`);
  }
  if (typeof value === "string") return /^[^\s"'=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}
