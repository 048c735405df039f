import { InvalidDurationError } from "../errors.js";

/** A duration: milliseconds as a number, or a string such as "500ms", "90s", "1h30m", "7d", "2w". */
export type Duration = number | string;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/gy;

/**
 * Reads a duration into milliseconds. Compound strings add up ("1h30m" is 5,400,000).
 * @throws InvalidDurationError naming `field` for anything else ("7x", "", -1, NaN).
 * @example parseDuration("1h30m", "timeout") // 5_400_000
 */
export function parseDuration(value: Duration, field: string): number {
  if (typeof value === "number") {
    if (Number.isFinite(value) && value >= 0) return value;
    throw new InvalidDurationError(field, value);
  }
  if (typeof value !== "string") throw new InvalidDurationError(field, value);
  const text = value.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  PART.lastIndex = 0;
  let total = 0;
  let matched = 0;
  for (let m = PART.exec(text); m; m = PART.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = PART.lastIndex;
    while (text[matched] === " ") matched++;
    PART.lastIndex = matched;
  }
  if (matched === 0 || matched !== text.length) throw new InvalidDurationError(field, value);
  return Math.round(total);
}
