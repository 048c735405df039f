import type { Client } from "../../client/client.js";
import { readEnvironment } from "../../client/environment.js";
import { checkPublicUrl } from "../../client/public-url.js";
import { isTerminal } from "../../store/records.js";
import { DEFAULT_DATABASE_URL } from "../../stores/open.js";
import { type GlobalOptions, openClient } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { hint, shellQuote, webhookHint } from "../hints.js";
import { intOption, parseJsonOption } from "../inputs.js";
import { loadWorkflows } from "../load-workflows.js";
import { compact, print } from "../output.js";
import { examplePayload } from "../schema-text.js";

export interface ServeOptions extends GlobalOptions {
  port?: string;
  host?: string;
  apiKey?: string[];
  publicUrl?: string;
}

/** Plugins named in latch.config.ts or package.json ("latch": { "plugins": [...] }) of the current folder. */
async function configuredPlugins() {
  const { loadConfiguredPlugins } = await import("../../plugins/load.js");
  return loadConfiguredPlugins(process.cwd());
}

/** `latch dev <file>`: worker + HTTP server in one process, printing how to resume each pending hook. */
export async function dev(file: string, opts: ServeOptions & { start?: string; input?: string }) {
  const input = opts.input === undefined ? undefined : parseJsonOption(opts.input, "--input");
  checkPublicUrlOption(opts);
  const { workflows, hookDefinitions } = await loadWorkflows(file);
  const plugins = await configuredPlugins();
  const { createLatch } = await import("../../runtime/engine.js");
  const { generateApiKey } = await import("../../server/auth.js");
  // The hooks a file defines: their payloads are checked with their own schema here from the start.
  const latch = await createLatch({
    workflows,
    hookDefinitions,
    store: opts.db,
    plugins,
    publicUrl: opts.publicUrl,
  });
  const keys = await apiKeysOf(opts);
  if (keys.length === 0) keys.push(generateApiKey());
  const server = await listen(latch, opts, keys);
  const db = databaseShown(opts);
  print(
    `Latch dev — ${workflows.length} workflow${workflows.length === 1 ? "" : "s"}: ${workflows.map((w) => w.name).join(", ")}`,
  );
  print(`  database  ${db}`);
  if (plugins.length) print(`  plugins   ${plugins.map((p) => p.name).join(", ")}`);
  print(`  server    ${address(server)}  (API under /api, OpenAPI at /openapi.json, metrics at /metrics)`);
  print(`  API key   ${keys[0]}`);
  print(
    `  start     ${hint(`run ${workflows[0]!.name} --input ${shellQuote(JSON.stringify(input ?? "…"))}`, opts)}`,
  );
  print("Waiting for runs; pending hooks are shown as they appear. Ctrl-C to stop.\n");
  const stopWatching = watch(latch, { url: server.url, key: keys[0]!, opts });
  if (opts.start) {
    const run = await latch.start(opts.start, ...(input === undefined ? [] : [input]));
    print(`Started ${run.id} (${opts.start}).`);
  }
  await untilSignal();
  stopWatching();
  await server.close();
  await latch.close();
}

/** `latch worker <file>`: runs the file's workflows until stopped. */
export async function worker(file: string, opts: GlobalOptions & { concurrency?: string }) {
  const concurrency = intOption(opts.concurrency, "--concurrency", 1, 100_000);
  const { workflows, hookDefinitions } = await loadWorkflows(file);
  const plugins = await configuredPlugins();
  const { createLatch } = await import("../../runtime/engine.js");
  const latch = await createLatch({
    workflows,
    hookDefinitions,
    store: opts.db,
    worker: { concurrency },
    plugins,
  });
  print(
    `Worker running ${workflows.map((w) => w.name).join(", ")}${plugins.length ? ` with plugins ${plugins.map((p) => p.name).join(", ")}` : ""} on ${databaseShown(opts)}. Ctrl-C to stop.`,
  );
  await untilSignal();
  await latch.close();
}

/** `latch serve`: the HTTP server alone (no workflow code), for a store that workers elsewhere run. */
export async function serve(opts: ServeOptions) {
  checkPublicUrlOption(opts);
  const keys = await apiKeysOf(opts);
  if (keys.length === 0) {
    throw new UsageError(
      "--api-key",
      "is missing: the API needs at least one key",
      "Set LATCH_API_KEYS=<key>[,<key>…] or pass --api-key <key> (make one with: openssl rand -base64 24).",
    );
  }
  const client = await openServedDatabase(opts);
  const server = await listen(client, opts, keys);
  print(
    `Latch API on ${address(server)} (${keys.length} API key${keys.length === 1 ? "" : "s"}). Ctrl-C to stop.`,
  );
  await untilSignal();
  await server.close();
  await client.close();
}

/** The API keys: --api-key, then LATCH_API_KEYS. */
async function apiKeysOf(opts: ServeOptions): Promise<string[]> {
  const { parseApiKeys } = await import("../../server/auth.js");
  return [...(opts.apiKey ?? []), ...parseApiKeys(process.env.LATCH_API_KEYS)];
}

/** --public-url is refused before anything starts (exit 2), naming the flag. */
function checkPublicUrlOption(opts: ServeOptions): void {
  if (opts.publicUrl !== undefined) checkPublicUrl(opts.publicUrl, "--public-url");
}

/** The database a process runs on, as the user would name it: --db, LATCH_DATABASE_URL, else the default. */
function databaseShown(opts: GlobalOptions): string {
  return opts.db ?? readEnvironment().databaseUrl ?? DEFAULT_DATABASE_URL;
}

/** Where the server listens, as bound: a wildcard bind says so rather than showing loopback only. */
function address(server: { url: string; boundUrl: string }): string {
  return server.boundUrl === server.url
    ? server.url
    : `${server.boundUrl} (every interface; from this machine: ${server.url})`;
}

/**
 * The database `serve` answers for. A server is a service of the deployment and may start before
 * its workers, so it makes a missing database — but says so on stderr, since a mistyped --db would
 * otherwise serve an empty one in silence.
 */
async function openServedDatabase(opts: ServeOptions): Promise<Client> {
  try {
    return await openClient(opts, { publicUrl: opts.publicUrl });
  } catch (err) {
    const { StoreNotFoundError } = await import("../../errors.js");
    if (!StoreNotFoundError.is(err)) throw err;
    process.stderr.write(
      `warning: there was no database at ${err.path}; a new, empty one was made. ` +
        "Workers must use the same --db / LATCH_DATABASE_URL.\n",
    );
    return openClient({ ...opts, create: true }, { publicUrl: opts.publicUrl });
  }
}

async function listen(client: Client, opts: ServeOptions, apiKeys: string[]) {
  const { startServer, DEFAULT_PORT } = await import("../../server/index.js");
  const { weakKeyWarning } = await import("../../server/bind.js");
  const port = intOption(opts.port, "--port", 0, 65535) ?? DEFAULT_PORT;
  const warning = weakKeyWarning(opts.host ?? "127.0.0.1", apiKeys);
  if (warning) process.stderr.write(`warning: ${warning}\n`);
  try {
    // --public-url was given to the client (it beats LATCH_PUBLIC_URL there); else the server's address.
    return await startServer({ client, apiKeys, port, host: opts.host });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new UsageError(
        "--port",
        `${port} is already in use`,
        "Pass --port <n> (0 picks a free port) or stop the other server.",
      );
    }
    throw err;
  }
}

/** Prints each hook when it becomes pending (with ready-to-paste commands) and each run's end. */
function watch(client: Client, where: { url: string; key: string; opts: GlobalOptions }): () => void {
  const seen = new Set<string>();
  const runs = new Map<string, string>();
  let busy = false;
  let primed = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      for (const h of (await client.hooks.list({ status: "pending", limit: 100 })).items.reverse()) {
        if (seen.has(h.hookId)) continue;
        seen.add(h.hookId);
        const path = `${where.url}/api/hooks/${encodeURIComponent(h.token)}/resume`;
        if (h.kind === "webhook") {
          print(`● webhook ${h.name ?? ""} is waiting — run ${h.runId}`);
          print(`    ${webhookHint(client.webhookUrl(h.token))}\n`);
          continue;
        }
        const example = JSON.stringify(examplePayload(h.schema) ?? {});
        print(`● hook ${h.name ?? "(unnamed)"} is waiting — run ${h.runId}`);
        print(`    ${hint(`hooks resume ${shellQuote(h.token)}`, where.opts)}`);
        print(
          `    ${hint(`hooks resume ${shellQuote(h.token)} --payload ${shellQuote(example)}`, where.opts)}`,
        );
        print(
          `    curl -sS -X POST ${shellQuote(path)} -H ${shellQuote(`Authorization: Bearer ${where.key}`)} ` +
            `-H 'Content-Type: application/json' -d ${shellQuote(JSON.stringify({ payload: JSON.parse(example) }))}\n`,
        );
      }
      for (const r of (await client.runs.list({ limit: 50 })).items) {
        const before = runs.get(r.id);
        runs.set(r.id, r.status);
        // Runs that had ended before dev started are not news; any later end is.
        if (isTerminal(r.status) && before !== r.status && (before !== undefined || primed)) {
          print(
            `○ run ${r.id} (${r.workflow}) ${r.status}${r.status === "succeeded" ? `: ${compact(r.output, 300)}` : r.error ? `: ${r.error.message}` : ""}\n`,
          );
        }
      }
      primed = true;
    } catch (err) {
      process.stderr.write(`latch dev: could not list hooks: ${(err as Error).message}\n`);
    } finally {
      busy = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), 250);
  return () => clearInterval(timer);
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve();
    };
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
}
