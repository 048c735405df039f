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

/**
 * Aligned columns for people; cells are never cut, so tokens and ids stay copyable. With `width`
 * (a terminal's), a last cell too long for the line is wrapped under itself instead of running
 * back to the left margin.
 */
export function table(headers: string[], rows: string[][], options: { width?: number } = {}): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const indent = widths.slice(0, -1).reduce((sum, w) => sum + w + 2, 0);
  const room = options.width === undefined ? undefined : options.width - indent;
  const line = (cells: string[]) => {
    const last = cells.length - 1;
    const head = cells.map((c, i) => (i === last ? "" : c.padEnd(widths[i]!))).join("  ");
    // Too narrow a terminal to wrap usefully: let the terminal wrap it.
    const parts = room !== undefined && room >= 30 ? wrap(cells[last] ?? "", room) : [cells[last] ?? ""];
    return [head + parts[0], ...parts.slice(1).map((p) => " ".repeat(indent) + p)]
      .map((l) => l.trimEnd())
      .join("\n");
  };
  return [line(headers), ...rows.map(line)].join("\n");
}

/** The terminal's width when stdout is one (tables wrap to it); undefined in pipes and files. */
export function terminalWidth(): number | undefined {
  return process.stdout.isTTY ? process.stdout.columns : undefined;
}

/** Splits text into lines of at most `width`, after a space or comma where one is near the end. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const cut = Math.max(rest.lastIndexOf(" ", width - 1), rest.lastIndexOf(",", width - 1)) + 1;
    const at = cut > width / 2 ? cut : width;
    lines.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  lines.push(rest);
  return lines;
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
