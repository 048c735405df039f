import type { Client } from "../../client/client.js";
import type { RunInfo } from "../../client/run-info.js";
import { RunNotFoundError } from "../../errors.js";
import { isTerminal, RUN_STATUSES } from "../../store/records.js";
import { type GlobalOptions, withClient } from "../context.js";
import { eventDetail } from "../event-detail.js";
import { hint, shellQuote, webhookHint } from "../hints.js";
import { enumOption, intOption } from "../inputs.js";
import { compact, print, printJson, table, terminalWidth, time } from "../output.js";

export async function listRuns(
  opts: GlobalOptions & { status?: string; workflow?: string; limit?: string; cursor?: string },
) {
  const status = opts.status?.split(",").map((s) => enumOption(s.trim(), "--status", RUN_STATUSES)!);
  const limit = intOption(opts.limit, "--limit", 1, 1000) ?? 20;
  await withClient(opts, async (client) => {
    const page = await client.runs.list({ status, workflow: opts.workflow, limit, cursor: opts.cursor });
    if (opts.json) return printJson(page);
    if (page.items.length === 0) return print("No runs.");
    print(
      table(
        ["ID", "WORKFLOW", "STATUS", "CREATED", "UPDATED"],
        page.items.map((r) => [r.id, r.workflow, r.status, time(r.createdAt), time(r.updatedAt)]),
      ),
    );
    if (page.nextCursor)
      print(`\nMore: ${hint(`runs list --limit ${limit} --cursor ${page.nextCursor}`, opts)}`);
  });
}

async function mustGetRun(client: Client, id: string): Promise<RunInfo> {
  const run = await client.getRun(id);
  if (!run) throw new RunNotFoundError(id);
  return run;
}

export async function showRun(id: string, opts: GlobalOptions) {
  await withClient(opts, async (client) => {
    const run = await mustGetRun(client, id);
    const hooks = (await client.hooks.list({ runId: id, status: "pending", limit: 100 })).items;
    if (opts.json) return printJson({ ...run, pendingHooks: hooks });
    const rows: [string, string][] = [
      ["id", run.id],
      ["workflow", run.workflow + (run.version ? ` (version ${run.version})` : "")],
      ["status", run.status],
      ["created", time(run.createdAt)],
      ["updated", time(run.updatedAt)],
    ];
    if (run.finishedAt) rows.push(["finished", time(run.finishedAt)]);
    if (run.wakeAt && !isTerminal(run.status)) rows.push(["wakes at", time(run.wakeAt)]);
    rows.push(["input", compact(run.input, 2000)]);
    if (run.status === "succeeded") rows.push(["output", compact(run.output, 2000)]);
    if (run.error) rows.push(["error", `${run.error.name}: ${run.error.message}`]);
    for (const [k, v] of rows) print(`${k.padEnd(9)} ${v}`);
    if (hooks.length) {
      print("\nWaiting on:");
      // A webhook is answered by an HTTP request to its URL; `hooks resume` refuses it.
      for (const h of hooks)
        print(
          `  ${h.name ?? "(unnamed)"}  ${h.kind === "webhook" ? webhookHint(client.webhookUrl(h.token)) : hint(`hooks resume ${shellQuote(h.token)}`, opts)}`,
        );
    }
  });
}

export async function runLogs(
  id: string,
  opts: GlobalOptions & { type?: string; after?: string; limit?: string; cursor?: string },
) {
  const afterSeq = intOption(opts.after, "--after", 0, Number.MAX_SAFE_INTEGER);
  const limit = intOption(opts.limit, "--limit", 1, 100_000);
  await withClient(opts, async (client) => {
    // The same page as GET /api/runs/{id}/events: { items, nextCursor? }, values decoded.
    const page = await client.eventsPage(id, { typePrefix: opts.type, afterSeq, cursor: opts.cursor, limit });
    if (opts.json) return printJson(page);
    if (page.items.length === 0) print(opts.type ? `No ${opts.type} events.` : "No events.");
    else {
      const rows = page.items.map((e) => [String(e.seq), time(e.at), e.type, eventDetail(e)]);
      print(table(["SEQ", "TIME", "TYPE", "DETAIL"], rows, { width: terminalWidth() }));
    }
    if (page.nextCursor) {
      const type = opts.type ? ` --type ${shellQuote(opts.type)}` : "";
      print(`\nMore: ${hint(`runs logs ${id}${type} --limit ${limit} --cursor ${page.nextCursor}`, opts)}`);
    }
  });
}

export async function cancelRun(id: string, opts: GlobalOptions) {
  await withClient(opts, async (client) => {
    const before = await mustGetRun(client, id);
    const after = await client.cancel(id);
    if (opts.json) return printJson(after);
    if (isTerminal(before.status)) print(`Run ${id} had already ended (${before.status}); nothing changed.`);
    else if (after.status === "cancelled") print(`Run ${id} is cancelled.`);
    else print(`Run ${id} is ${after.status}: cancellation requested, it stops at its next durable call.`);
  });
}
