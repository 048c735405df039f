import type { PayloadIssue } from "../errors.js";
import { exitCodeOf } from "./exit-codes.js";
import { localizeCommands } from "./hints.js";

/** Writes one JSON document for scripts: stable field names, nothing else on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function print(line = ""): void {
  process.stdout.write(`${line}\n`);
}

/** Aligned columns for people; cells are never cut, so tokens and ids stay copyable. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** A UTC timestamp people can read and sort: "2026-11-21 20:31:05Z". */
export function time(ms: number | undefined): string {
  return ms === undefined ? "-" : `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")}Z`;
}

/** JSON on one line, cut to `max` characters for table cells. */
export function compact(value: unknown, max = 120): string {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Quotes a value for a POSIX shell, so printed commands can be pasted as they are. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/** Reports an error on stderr (as JSON with --json) and returns the exit code it maps to. */
export function reportError(err: unknown, json: boolean): number {
  const code = exitCodeOf(err);
  const e = err as { code?: string; message?: string; issues?: PayloadIssue[] };
  // Typed errors name `latch …` commands; say them as this user runs latch (npx, npm run, …).
  const message = localizeCommands(e.message ?? String(err));
  if (json) {
    const body: Record<string, unknown> = {
      code: e.code ?? "ERROR",
      message,
      exitCode: code,
    };
    if (e.issues) body.issues = e.issues;
    process.stderr.write(`${JSON.stringify({ error: body }, null, 2)}\n`);
  } else {
    process.stderr.write(`error: ${message}\n`);
    for (const issue of e.issues ?? [])
      process.stderr.write(`  - ${issue.path || "(payload)"}: ${issue.message}\n`);
    if (code === 1 && err instanceof Error && process.env.LATCH_DEBUG) process.stderr.write(`${err.stack}\n`);
  }
  return code;
}
