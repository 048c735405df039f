import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SerializationError } from "../../src/errors.js";
import { MAX_VALUE_DEPTH } from "../../src/replay/values.js";
import type { Logger } from "../../src/runtime/logger.js";
import { createApp, type LatchApp } from "../../src/server/index.js";
import { auth, type Harness, harness, json, KEY } from "./fixtures.js";

let h: Harness;
let app: LatchApp;
const logged: string[] = [];
beforeAll(async () => {
  h = await harness();
  const logger: Logger = { warn: (m) => logged.push(m), error: (m) => logged.push(m) };
  app = createApp({ client: h.latch, apiKeys: [KEY], logger });
});
afterAll(() => h.close());

const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
const post = (path: string, body: string) =>
  app.request(path, { method: "POST", headers: { "content-type": "application/json", ...auth }, body });

describe(`values nested deeper than ${MAX_VALUE_DEPTH} levels`, () => {
  it("a 6,000-level payload is a 400 naming the limit, logs nothing, records nothing", async () => {
    const { runId, token } = await h.startAndWait("srv_approval_flow", "deep-1");
    const res = await post(`/api/hooks/${encodeURIComponent(token)}/resume`, `{"payload":${nested(6000)}}`);
    expect(res.status).toBe(400);
    const p = await json(res);
    expect(p).toMatchObject({ code: "NOT_SERIALIZABLE", field: "payload" });
    expect(p.detail).toContain(`nested more than ${MAX_VALUE_DEPTH} levels deep`);
    expect(logged).toEqual([]);
    expect(await h.latch.events(runId, { typePrefix: "hook.received" })).toEqual([]);
    // The run still waits and takes a good payload.
    const ok = await post(
      `/api/hooks/${encodeURIComponent(token)}/resume`,
      '{"payload":{"approved":true,"reviewer":"ann"}}',
    );
    expect(ok.status).toBe(200);
  });

  it("a 6,000-level run input is a 400 too", async () => {
    const res = await post("/api/runs", `{"workflow":"srv_plain","input":${nested(6000)}}`);
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ code: "NOT_SERIALIZABLE", field: "input" });
    expect(logged).toEqual([]);
  });

  it(`the client refuses it with SerializationError; ${MAX_VALUE_DEPTH} levels are fine`, async () => {
    const { token } = await h.startAndWait("srv_plain");
    const err = await h.latch.resumeHook(token, JSON.parse(nested(6000))).catch((e: unknown) => e);
    expect(SerializationError.is(err)).toBe(true);
    expect((err as SerializationError).field).toBe("payload");
    expect((err as Error).message.length).toBeLessThan(300);
    const deepest = JSON.parse(nested(MAX_VALUE_DEPTH));
    await expect(h.latch.resumeHook(token, deepest)).resolves.toMatchObject({ kept: false });
  });
});
