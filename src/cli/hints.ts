import { existsSync, realpathSync } from "node:fs";
import { delimiter, dirname, join, relative, resolve, sep } from "node:path";
import type { GlobalOptions } from "./context.js";

let cached: string | undefined;

/**
 * How the user can run latch from where they are, for the commands the CLI prints: "latch" when
 * the bin is on their PATH, "npx latch" for a project's local install, "npm run latch --" inside
 * Latch's own repository (the source runs through tsx there and `latch` is on no PATH), else the
 * full command that ran this one. Every printed hint goes through here (see `hint`).
 *
 * @example latchCommand() // "npm run latch --" in a clone of the repository
 */
export function latchCommand(): string {
  cached ??= detect(process.argv[1] ?? "latch", process.cwd(), process.env.PATH ?? "");
  return cached;
}

/** Works out the command for `script` (process.argv[1]) run from `cwd` with this PATH. */
export function detect(script: string, cwd: string, path: string): string {
  const file = real(resolve(cwd, script));
  if (/\.[cm]?ts$/.test(file)) {
    // The TypeScript source through tsx: <root>/src/cli/main.ts.
    const root = dirname(dirname(dirname(file)));
    const inside = !relative(root, real(cwd)).startsWith("..");
    if (inside && existsSync(join(root, "package.json"))) return "npm run latch --";
    return `${shellQuote(join(root, "node_modules", ".bin", "tsx"))} ${shellQuote(file)}`;
  }
  // PATH entries under node_modules/.bin are added by npm and npx for one command, not the user's shell.
  for (const dir of path.split(delimiter)) {
    if (!dir || dir.includes(`node_modules${sep}.bin`)) continue;
    const candidate = join(dir, "latch");
    if (existsSync(candidate) && real(candidate) === file) return "latch";
  }
  if (file.includes(`${sep}node_modules${sep}`)) return "npx latch";
  return `node ${shellQuote(relative(cwd, file) || file)}`;
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * A command line to print, ready to paste: `args` after the detected command, with the user's
 * --db when they chose one. `args` is already quoted where needed.
 *
 * @example hint(`hooks resume ${shellQuote(token)}`, opts) // "latch hooks resume 'run_…:hook_…' --db sqlite:x.db"
 */
export function hint(args: string, opts: Pick<GlobalOptions, "db"> = {}): string {
  return `${latchCommand()} ${args}${opts.db ? ` --db ${shellQuote(opts.db)}` : ""}`;
}

/** Rewrites the `latch …` commands quoted in a message (typed errors name them) for this user. */
export function localizeCommands(message: string): string {
  const command = latchCommand();
  return command === "latch" ? message : message.replaceAll("`latch ", `\`${command} `);
}

/**
 * How to send a webhook a request: it is resumed by an HTTP request to its URL, never by
 * `latch hooks resume`. `url` is the webhook's as the client knows it (`client.webhookUrl(token)`:
 * --public-url or LATCH_PUBLIC_URL, else the address of the server this process runs).
 */
export function webhookHint(url: string): string {
  return `curl -sS -X POST ${shellQuote(url)} -H 'Content-Type: application/json' -d '{"hello":"world"}'`;
}

/** Quotes a value for a POSIX shell, so printed commands can be pasted as they are. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}
