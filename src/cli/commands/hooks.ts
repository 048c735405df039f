import { userInfo } from "node:os";
import type { Client } from "../../client/client.js";
import type { HookInfo } from "../../client/run-info.js";
import { EXIT } from "../../error-answers.js";
import {
  HookDisposedError,
  HookExpiredError,
  HookNotFoundError,
  PayloadValidationError,
} from "../../errors.js";
import type { HookStatus } from "../../store/records.js";
import { type GlobalOptions, withClient } from "../context.js";
import { ExitError, InterruptedError, UsageError } from "../exit-codes.js";
import { hint, shellQuote, webhookHint } from "../hints.js";
import { enumOption, interactive, intOption, parseJsonOption, readJsonFile } from "../inputs.js";
import { compact, print, printJson, table, time } from "../output.js";
import { examplePayload, fieldsOf, typeLabel } from "../schema-text.js";

const HOOK_STATUSES: readonly HookStatus[] = ["pending", "expired", "disposed"];

export async function listHooks(
  opts: GlobalOptions & { status?: string; run?: string; name?: string; limit?: string; cursor?: string },
) {
  const status = enumOption(opts.status, "--status", HOOK_STATUSES);
  const limit = intOption(opts.limit, "--limit", 1, 1000) ?? 20;
  await withClient(opts, async (client) => {
    const page = await client.hooks.list({
      status,
      runId: opts.run,
      name: opts.name,
      limit,
      cursor: opts.cursor,
    });
    if (opts.json) return printJson(page);
    if (page.items.length === 0) return print(status ? `No ${status} hooks.` : "No hooks.");
    const rows = page.items.map((h) => [
      h.token,
      h.name ?? "-",
      h.status,
      h.runId,
      time(h.createdAt),
      time(h.expiresAt),
    ]);
    print(table(["TOKEN", "NAME", "STATUS", "RUN", "CREATED", "EXPIRES"], rows));
    if (page.nextCursor)
      print(
        `\nMore: ${hint(`hooks list${status ? ` --status ${status}` : ""} --limit ${limit} --cursor ${page.nextCursor}`, opts)}`,
      );
  });
}

async function mustGetHook(client: Client, token: string): Promise<HookInfo> {
  const hook = await client.hooks.get(token);
  if (!hook) throw new HookNotFoundError(token);
  return hook;
}

export async function hookInfo(token: string, opts: GlobalOptions) {
  await withClient(opts, async (client) => {
    const h = await mustGetHook(client, token);
    if (opts.json) return printJson(h);
    const rows: [string, string][] = [
      ["token", h.token],
      ["name", h.name ?? "-"],
      ["kind", h.kind],
      ["status", h.status],
      ["run", h.runId],
      ["created", time(h.createdAt)],
      ["expires", time(h.expiresAt)],
      ["payloads", String(h.payloads)],
    ];
    if (h.closedAt) rows.push(["closed", time(h.closedAt)]);
    const rejected = (await client.events(h.runId, { typePrefix: "hook.rejected" })).filter(
      (e) => e.type === "hook.rejected" && e.hookId === h.hookId,
    );
    if (rejected.length) rows.push(["rejected", String(rejected.length)]);
    if (h.metadata !== undefined) rows.push(["metadata", compact(h.metadata, 2000)]);
    for (const [k, v] of rows) print(`${k.padEnd(9)} ${v}`);
    const fields = fieldsOf(h.schema);
    if (fields.length) {
      print("\nPayload fields:");
      print(
        table(
          ["  FIELD", "TYPE", "REQUIRED"],
          fields.map((f) => [`  ${f.path}`, typeLabel(f), f.required ? "yes" : "no"]),
        ),
      );
    } else if (h.schema) {
      print(`\nPayload schema: ${compact(h.schema, 2000)}`);
    }
    if (rejected.length) {
      print(
        "\nRejected payloads (they failed the hook's own schema where its run's code is; the hook still waits):",
      );
      for (const e of rejected.slice(-10)) {
        if (e.type !== "hook.rejected") continue;
        const who = [e.by?.id, e.channel].filter(Boolean).join(" via ");
        print(`  ${time(e.at)}${who ? ` by ${who}` : ""}`);
        print(`    payload: ${compact(e.payload, 2000)}`);
        for (const i of e.issues) print(`    ${i.path || "(payload)"}: ${i.message}`);
      }
      if (rejected.length > 10)
        print(
          `  … ${rejected.length - 10} earlier ones: ${hint(`runs logs ${h.runId} --type hook.rejected`, opts)}`,
        );
    }
    if (h.status === "pending" && h.kind === "hook") {
      print("\nResume it:");
      const example = JSON.stringify(examplePayload(h.schema) ?? {});
      print(`  ${hint(`hooks resume ${shellQuote(h.token)}`, opts)}`);
      print(`  ${hint(`hooks resume ${shellQuote(h.token)} --payload ${shellQuote(example)}`, opts)}`);
    } else if (h.status === "pending") {
      print("\nSend it a request (a webhook is resumed through its URL):");
      print(`  ${webhookHint(client.webhookUrl(h.token))}`);
    }
  });
}

export async function resumeHook(
  tokenArg: string | undefined,
  opts: GlobalOptions & {
    payload?: string;
    payloadFile?: string;
    idempotencyKey?: string;
    keepIfMissing?: boolean;
    wait?: string | boolean;
  },
) {
  const waitTimeout = waitOption(opts.wait);
  const sending = {
    idempotencyKey: opts.idempotencyKey,
    channel: "cli",
    by: localActor(),
    ...(waitTimeout === undefined ? {} : { wait: "delivered" as const, waitTimeout }),
  };
  if (opts.payload !== undefined && opts.payloadFile !== undefined) {
    throw new UsageError("--payload", "was given with --payload-file", "Pass one of them.");
  }
  let payload: unknown;
  const given = opts.payload !== undefined || opts.payloadFile !== undefined;
  if (opts.payload !== undefined) payload = parseJsonOption(opts.payload, "--payload");
  if (opts.payloadFile !== undefined) payload = await readJsonFile(opts.payloadFile, "--payload-file");
  const tty = interactive() && !opts.json;
  if (!tokenArg && !tty)
    throw new UsageError(
      "token",
      "is missing",
      `Pass the hook's token (${hint("hooks list --status pending", opts)}); picking one needs a terminal.`,
    );
  if (!given && !tty)
    throw new UsageError(
      "--payload",
      "is missing",
      "Pass --payload '<json>' or --payload-file <file>; prompting needs a terminal.",
    );

  await withClient(opts, async (client) => {
    const prompts = tty ? await import("@clack/prompts") : undefined;
    if (!given) prompts!.intro("latch hooks resume");
    const token = tokenArg ?? (await pickHook(client, prompts!));
    if (given) {
      if ((await client.hooks.get(token))?.kind === "webhook") {
        throw new ExitError(
          EXIT.CONFLICT,
          `token: this hook is a webhook: send it an HTTP request instead, such as ${webhookHint(client.webhookUrl(token))}`,
        );
      }
      const result = await client.resumeHook(token, payload, {
        ...sending,
        ifMissing: opts.keepIfMissing ? "keep" : undefined,
      });
      return report(result, token, opts);
    }
    const hook = await mustGetHook(client, token);
    if (hook.status === "expired") throw new HookExpiredError(token, hook.expiresAt);
    if (hook.status === "disposed") throw new HookDisposedError(token);
    const { promptPayload } = await import("../payload-prompt.js");
    prompts!.log.info(`${hook.name ?? "hook"} of run ${hook.runId}`);
    let answers = await promptPayload(hook.schema);
    for (;;) {
      try {
        const result = await client.resumeHook(token, answers, sending);
        prompts!.outro(
          result.repeated
            ? "Already resumed with this idempotency key; nothing new was recorded."
            : result.delivered
              ? `Payload delivered; run ${result.runId} continues.`
              : "Hook resumed.",
        );
        return;
      } catch (err) {
        if (!PayloadValidationError.is(err)) throw err;
        // Checks only the whole payload can make (refinements, cross-field rules): ask those fields again.
        prompts!.log.error(err.issues.map((i) => `${i.path || "(payload)"}: ${i.message}`).join("\n"));
        const keys = new Set(err.issues.map((i) => i.path.split(".")[0]!).filter((k) => k !== ""));
        const isObject = typeof answers === "object" && answers !== null && !Array.isArray(answers);
        answers = await promptPayload(
          hook.schema,
          keys.size && isObject ? { previous: answers as Record<string, unknown>, only: keys } : {},
        );
      }
    }
  });
}

async function pickHook(client: Client, prompts: typeof import("@clack/prompts")): Promise<string> {
  const pending = (await client.hooks.list({ status: "pending", limit: 50 })).items.filter(
    (h) => h.kind === "hook",
  );
  if (pending.length === 0)
    throw new ExitError(EXIT.NOT_FOUND, `no hook is pending. See every hook with ${hint("hooks list")}.`);
  const choice = await prompts.select<string>({
    message: "Select a pending hook to resume",
    options: pending.map((h) => ({
      value: h.token,
      label: `${h.name ?? "(unnamed)"} (${h.token})`,
      hint: `created ${time(h.createdAt)}`,
    })),
  });
  if (prompts.isCancel(choice)) throw new InterruptedError("cancelled; nothing was sent");
  return choice;
}

function report(result: Awaited<ReturnType<Client["resumeHook"]>>, token: string, opts: GlobalOptions) {
  if (opts.json) return printJson(result);
  if (result.kept)
    print(`No hook has the token yet: the payload is kept for the next hook created with ${token}.`);
  else if (result.repeated)
    print(`Already resumed with this idempotency key (run ${result.runId}); nothing new was recorded.`);
  else if (result.delivered)
    print(`Payload delivered and accepted by the hook; run ${result.runId} continues.`);
  else print(`Hook resumed; run ${result.runId} continues.`);
}

/** `--wait` alone waits 30 s; `--wait 2m` as long as given. */
function waitOption(value: string | boolean | undefined): string | number | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return 30_000;
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** The CLI acts as the local user until identities are configured. */
function localActor(): { id: string } | undefined {
  try {
    const name = userInfo().username;
    return /^[\w.@:+\-/]{1,128}$/u.test(name) ? { id: name } : undefined;
  } catch {
    return undefined;
  }
}
