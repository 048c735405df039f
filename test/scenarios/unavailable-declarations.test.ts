import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  createLatch,
  defineWorkflow,
  InvalidArgumentError,
  type LatchPlugin,
  NotImplementedError,
  type Workflow,
} from "../../src/index.js";
import { silentLogger } from "../../src/runtime/logger.js";

const dir = mkdtempSync(join(tmpdir(), "latch-unavailable-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const wf = defineWorkflow("ud_plain", async () => "ok");

/** createLatch must refuse before it opens (creates) the database or starts a worker. */
async function refusedBeforeStart(options: Parameters<typeof createLatch>[0], file: string) {
  const path = join(dir, file);
  const err = await createLatch({ store: `sqlite:${path}`, logger: silentLogger, ...options }).then(
    async (latch) => {
      await latch.close();
      throw new Error("createLatch accepted it");
    },
    (e: unknown) => e,
  );
  expect(existsSync(path)).toBe(false);
  return err as NotImplementedError;
}

describe("declarations Latch does not implement yet are refused, not ignored", () => {
  it("a plugin's triggers: NotImplementedError at createLatch naming the plugin and the field", async () => {
    const plugin: LatchPlugin = { name: "cron-pack", interceptors: [], triggers: [{ uses: "cron" }] };
    const err = await refusedBeforeStart({ workflows: [wf], plugins: [plugin] }, "triggers.db");
    expect(NotImplementedError.is(err)).toBe(true);
    expect(InvalidArgumentError.is(err)).toBe(true);
    expect(err.code).toBe("NOT_IMPLEMENTED");
    expect(err.name).toBe("NotImplementedError");
    expect(err.field).toBe("plugins[0].triggers");
    expect(err.message).toContain('"cron-pack"');
    expect(err.message).toContain("not available yet");
  });

  it("a plugin's flow nodes: NotImplementedError naming the plugin and the field", async () => {
    const plugins: LatchPlugin[] = [
      { name: "audit", interceptors: [] },
      { name: "slack-nodes", nodes: [{ name: "slack.post" }] },
    ];
    const err = await refusedBeforeStart({ workflows: [wf], plugins }, "nodes.db");
    expect(NotImplementedError.is(err)).toBe(true);
    expect(err.field).toBe("plugins[1].nodes");
    expect(err.message).toContain('"slack-nodes"');
    expect(err.message).toContain("flow nodes");
  });

  it("a value that is not a plugin is refused too; empty trigger and node lists are accepted", async () => {
    const err = await refusedBeforeStart({ workflows: [wf], plugins: [42 as never] }, "not-plugin.db");
    expect(InvalidArgumentError.is(err)).toBe(true);
    expect(NotImplementedError.is(err)).toBe(false);
    expect(err.field).toBe("plugins[0]");
    const latch = await createLatch({
      workflows: [wf],
      store: "sqlite::memory:",
      logger: silentLogger,
      plugins: [{ name: "empty", interceptors: [], triggers: [], nodes: [] }],
    });
    expect(await (await latch.start(wf)).result()).toBe("ok");
    await latch.close();
  });

  it("a workflow's trigger: NotImplementedError at defineWorkflow naming the workflow and the field", () => {
    let err: unknown;
    try {
      defineWorkflow({ name: "ud_nightly", trigger: { uses: "cron" } as never }, async () => "ok");
    } catch (e) {
      err = e;
    }
    expect(NotImplementedError.is(err)).toBe(true);
    expect((err as NotImplementedError).field).toBe("trigger");
    expect((err as Error).message).toContain('"ud_nightly"');
    expect((err as Error).message).toContain("not available yet");
  });

  it("a workflow object carrying a trigger (not made by defineWorkflow) is refused at createLatch", async () => {
    const handMade = { name: "ud_hand_made", fn: async () => "ok", trigger: { uses: "cron" } } as Workflow;
    const err = await refusedBeforeStart({ workflows: [handMade] }, "hand-made.db");
    expect(NotImplementedError.is(err)).toBe(true);
    expect(err.field).toBe("workflows[0].trigger");
  });
});
