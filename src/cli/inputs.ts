import { readFile } from "node:fs/promises";
import { UsageError } from "./exit-codes.js";

/** Parses a JSON option, naming the option and how to quote it when it is not JSON. */
export function parseJsonOption(text: string, option: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      option,
      `is not valid JSON (${(err as Error).message})`,
      `Quote it for the shell, such as ${option} '{"approved":true}' or ${option} '"order-1"' for a string.`,
    );
  }
}

/** Reads a JSON file ("-" for standard input). */
export async function readJsonFile(path: string, option: string): Promise<unknown> {
  let text: string;
  try {
    text = path === "-" ? await readStdin() : await readFile(path, "utf8");
  } catch (err) {
    throw new UsageError(
      option,
      `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      "Check the path.",
    );
  }
  return parseJsonOption(text, `${option} ${path}`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** A whole number option within bounds. */
export function intOption(
  value: string | undefined,
  option: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(
      option,
      `${JSON.stringify(value)} is not a whole number from ${min} to ${max}`,
      `Pass ${option} <${min}..${max}>.`,
    );
  }
  return Number(value);
}

/** A value of a closed set. */
export function enumOption<T extends string>(
  value: string | undefined,
  option: string,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) {
    throw new UsageError(
      option,
      `${JSON.stringify(value)} is not a known value`,
      `Use one of ${allowed.join(", ")}.`,
    );
  }
  return value as T;
}

/** True when a person is at the keyboard: prompts and spinners only then. */
export function interactive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}
