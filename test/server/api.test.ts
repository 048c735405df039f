import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth, type Harness, harness, json } from "./fixtures.js";

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(() => h.close());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  h.app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const get = (path: string) => h.app.request(path, { headers: auth });

async function expectProblem(res: Response, status: number, code: string, detail?: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const p = await json(res);
  expect(p).toMatchObject({ status, code, type: `urn:latch:error:${code}` });
  if (detail) expect(p.detail).toMatch(detail);
  return p;
}

describe("authentication", () => {
  it.each([
    ["GET", "/api/runs"],
    ["POST", "/api/runs"],
    ["GET", "/api/runs/run_x"],
    ["GET", "/api/runs/run_x/events"],
    ["POST", "/api/runs/run_x/cancel"],
    ["GET", "/api/hooks"],
    ["GET", "/api/hooks/t"],
    ["POST", "/api/hooks/t/resume"],
  ])("%s %s without a key is 401", async (method, path) => {
    const res = await h.app.request(path, { method });
    const p = await expectProblem(res, 401, "UNAUTHORIZED", /Authorization: Bearer/);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(p.instance).toBe(path);
  });

  it("refuses a wrong key and a malformed header", async () => {
    await expectProblem(
      await h.app.request("/api/runs", { headers: { authorization: "Bearer nope" } }),
      401,
      "UNAUTHORIZED",
      /not valid/,
    );
    await expectProblem(
      await h.app.request("/api/runs", { headers: { authorization: "Basic abc" } }),
      401,
      "UNAUTHORIZED",
    );
  });

  it("leaves health, metrics and the OpenAPI document open", async () => {
    expect((await h.app.request("/healthz")).status).toBe(200);
    expect((await h.app.request("/metrics")).status).toBe(200);
    const doc = await json(await h.app.request("/openapi.json"));
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/api/runs", "/api/hooks/{token}/resume", "/webhooks/{token}"]),
    );
  });
});

describe("runs", () => {
  it("starts a run by name, reads it, lists it and reads its events", async () => {
    const res = await post("/api/runs", { workflow: "srv_approval_flow", input: "o-1" });
    expect(res.status).toBe(201);
    const run = await json(res);
    expect(run).toMatchObject({ workflow: "srv_approval_flow", input: ["o-1"] });
    expect(res.headers.get("location")).toBe(`/api/runs/${run.id}`);
    await h.latch.idle();
    expect(await json(await get(`/api/runs/${run.id}`))).toMatchObject({ id: run.id, status: "suspended" });
    const page = await json(
      await get("/api/runs?status=suspended,pending&workflow=srv_approval_flow&limit=1"),
    );
    expect(page.items.map((r: { id: string }) => r.id)).toContain(run.id);
    const events = await json(await get(`/api/runs/${run.id}/events?type=hook`));
    expect(events.items[0]).toMatchObject({ type: "hook.created", name: "srv_approval" });
    const all = await json(await get(`/api/runs/${run.id}/events`));
    expect(all.items[0]).toMatchObject({ type: "run.created", input: ["o-1"] });
    expect(all.nextCursor).toBeUndefined();
    // Pages: { items, nextCursor? }, the shape `latch runs logs --json` prints too.
    const first = await json(await get(`/api/runs/${run.id}/events?limit=2`));
    expect(first.items.map((e: { seq: number }) => e.seq)).toEqual([1, 2]);
    expect(first.nextCursor).toBe("2");
    const rest = await json(await get(`/api/runs/${run.id}/events?cursor=${first.nextCursor}`));
    expect(rest.items.map((e: { seq: number }) => e.seq)).toEqual(
      all.items.slice(2).map((e: { seq: number }) => e.seq),
    );
    await expectProblem(
      await get(`/api/runs/${run.id}/events?cursor=nope`),
      400,
      "INVALID_ARGUMENT",
      /cursor/,
    );
  });

  it("pages with nextCursor", async () => {
    for (let i = 0; i < 3; i++) await post("/api/runs", { workflow: "srv_plain" });
    const first = await json(await get("/api/runs?workflow=srv_plain&limit=2"));
    expect(first.items).toHaveLength(2);
    const second = await json(await get(`/api/runs?workflow=srv_plain&limit=2&cursor=${first.nextCursor}`));
    expect(second.items.length).toBeGreaterThanOrEqual(1);
    expect(second.items[0].id).not.toBe(first.items[1].id);
  });

  it("cancels a run", async () => {
    const { runId } = await h.startAndWait("srv_plain");
    const res = await post(`/api/runs/${runId}/cancel`, "");
    expect(res.status).toBe(200);
    expect((await json(res)).status).toBe("cancelled");
  });

  it("answers bad input with 400/404/413/415/422 problems", async () => {
    await expectProblem(
      await post("/api/runs", "{not json"),
      400,
      "INVALID_ARGUMENT",
      /body: is not valid JSON/,
    );
    await expectProblem(await post("/api/runs", "[1]"), 400, "INVALID_ARGUMENT", /not a JSON object/);
    await expectProblem(await post("/api/runs", ""), 400, "INVALID_ARGUMENT", /body: is empty/);
    await expectProblem(
      await post("/api/runs", { input: 1 }),
      400,
      "INVALID_ARGUMENT",
      /workflow: is missing/,
    );
    await expectProblem(
      await post("/api/runs", { workflow: 42 }),
      400,
      "INVALID_ARGUMENT",
      /workflow: is a number/,
    );
    await expectProblem(
      await post("/api/runs", { workflow: "srv_plain", args: "x" }),
      400,
      "INVALID_ARGUMENT",
      /args: is a string/,
    );
    await expectProblem(
      await post("/api/runs", { workflow: "srv_plain", input: 1, args: [] }),
      400,
      "INVALID_ARGUMENT",
      /not both/,
    );
    await expectProblem(
      await post("/api/runs", { workflow: "srv_plain", inputs: 1 }),
      400,
      "INVALID_ARGUMENT",
      /inputs: is not a field/,
    );
    await expectProblem(
      await post("/api/runs", { workflow: "nope" }),
      422,
      "UNKNOWN_WORKFLOW",
      /Known workflows/,
    );
    await expectProblem(
      await post("/api/runs", "{}", { "content-type": "text/plain" }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    const big = JSON.stringify({ workflow: "srv_plain", input: "x".repeat(2 * 1024 * 1024) });
    await expectProblem(await post("/api/runs", big), 413, "PAYLOAD_TOO_LARGE");
    await expectProblem(await get("/api/runs/run_nope"), 404, "RUN_NOT_FOUND", /run_nope/);
    await expectProblem(await get("/api/runs/run_nope/events"), 404, "RUN_NOT_FOUND");
    await expectProblem(await post("/api/runs/run_nope/cancel", ""), 404, "RUN_NOT_FOUND");
    await expectProblem(
      await get("/api/runs?status=done"),
      400,
      "INVALID_ARGUMENT",
      /status: "done" is not a known value/,
    );
    await expectProblem(await get("/api/runs?limit=abc"), 400, "INVALID_ARGUMENT", /limit/);
    await expectProblem(await get("/api/runs?limit=0"), 400, "INVALID_ARGUMENT", /limit/);
    await expectProblem(await get("/api/runs?cursor=%25%25"), 400, "INVALID_ARGUMENT", /cursor/);
    await expectProblem(await get("/api/nothing"), 404, "NOT_FOUND", /no such route/);
  });
});

describe("hooks", () => {
  it("lists, reads and resumes a hook; the run finishes with the payload", async () => {
    const { runId, token } = await h.startAndWait("srv_approval_flow", "o-2");
    const list = await json(await get(`/api/hooks?status=pending&runId=${runId}`));
    expect(list.items).toEqual([expect.objectContaining({ token, name: "srv_approval", status: "pending" })]);
    const hook = await json(await get(`/api/hooks/${encodeURIComponent(token)}`));
    expect(hook.schema.properties.approved).toEqual({ type: "boolean" });
    const res = await post(`/api/hooks/${encodeURIComponent(token)}/resume`, {
      payload: { approved: true, reviewer: "ann" },
      idempotencyKey: "k-1",
    });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ runId, hookId: hook.hookId, kept: false, repeated: false });
    const again = await post(
      `/api/hooks/${encodeURIComponent(token)}/resume`,
      { payload: { approved: true, reviewer: "ann" } },
      { "idempotency-key": "k-1" },
    );
    expect((await json(again)).repeated).toBe(true);
    // The same key with another payload: refused, the first payload stands.
    await expectProblem(
      await post(`/api/hooks/${encodeURIComponent(token)}/resume`, {
        payload: { approved: false, reviewer: "eve" },
        idempotencyKey: "k-1",
      }),
      409,
      "IDEMPOTENCY_CONFLICT",
      /idempotencyKey: "k-1" was already used .* another payload/,
    );
    const run = await h.latch.waitForRun(runId);
    expect(run.output).toEqual({ orderId: "o-2", approved: true, reviewer: "ann" });
  });

  it("answers bad payloads and unknown, finished or webhook tokens with the right problem", async () => {
    const { token } = await h.startAndWait("srv_approval_flow", "o-3");
    const path = `/api/hooks/${encodeURIComponent(token)}/resume`;
    const p = await expectProblem(await post(path, { payload: { approved: "yes" } }), 422, "PAYLOAD_INVALID");
    expect(p.issues).toEqual(
      expect.arrayContaining([
        { path: "approved", message: "must be boolean" },
        { path: "reviewer", message: "is required" },
      ]),
    );
    await expectProblem(
      await post(path, { payload: { approved: true, reviewer: "a", level: "mid" } }),
      422,
      "PAYLOAD_INVALID",
      /level/,
    );
    await expectProblem(await post(path, "{oops"), 400, "INVALID_ARGUMENT", /not valid JSON/);
    await expectProblem(
      await post(path, { approved: true }),
      400,
      "INVALID_ARGUMENT",
      /approved: is not a field/,
    );
    await expectProblem(
      await post(path, { payload: {}, idempotencyKey: 5 }),
      400,
      "INVALID_ARGUMENT",
      /idempotencyKey/,
    );
    await expectProblem(
      await post(path, { payload: {}, ifMissing: "drop" }),
      400,
      "INVALID_ARGUMENT",
      /ifMissing/,
    );
    // Valid JSON text, but "\ud800" alone is not Unicode: refused before anything is recorded.
    await expectProblem(
      await post(path, '{"payload":{"approved":true,"reviewer":"\\ud800"}}'),
      400,
      "NOT_SERIALIZABLE",
      /payload\.reviewer: contains a lone surrogate/,
    );
    await expectProblem(await post("/api/hooks/nope/resume", { payload: 1 }), 404, "HOOK_NOT_FOUND", /nope/);
    await expectProblem(await get("/api/hooks/nope"), 404, "HOOK_NOT_FOUND");
    await expectProblem(await get(`/api/hooks/${"x".repeat(300)}`), 400, "INVALID_TOKEN", /at most 256/);
    await expectProblem(await get("/api/hooks?status=pending,expired"), 400, "INVALID_ARGUMENT", /several/);
    await expectProblem(await get("/api/hooks?status=open"), 400, "INVALID_ARGUMENT", /status/);

    await post(path, { payload: { approved: false, reviewer: "bob" } });
    const run = await h.latch.waitForRun(token.split(":")[0]!);
    expect(run.status).toBe("succeeded");
    await expectProblem(
      await post(path, { payload: { approved: true, reviewer: "x" } }),
      410,
      "HOOK_DISPOSED",
      /disposed/,
    );

    const web = await h.startAndWait("srv_webhook_accepted");
    await expectProblem(
      await post(`/api/hooks/${web.token}/resume`, { payload: {} }),
      409,
      "HOOK_IS_WEBHOOK",
      /webhooks/,
    );
  });
});

describe("OpenAPI document", () => {
  it("describes only routes that exist", async () => {
    const doc = await json(await h.app.request("/openapi.json"));
    const methods = ["get", "post", "put", "patch", "delete"];
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(item).filter((m) => methods.includes(m))) {
        const url = path.replace("{id}", "run_unknown").replace("{token}", "tok_unknown");
        const res = await h.app.request(url, { method: method.toUpperCase(), headers: auth });
        const body = res.headers.get("content-type")?.includes("json") ? await json(res) : {};
        expect({ route: `${method} ${path}`, code: body.code }).not.toEqual({
          route: `${method} ${path}`,
          code: "NOT_FOUND",
        });
      }
    }
  });
});

describe("metrics", () => {
  it("exposes runs by status, pending hooks and the resume latency histogram", async () => {
    const { token } = await h.startAndWait("srv_approval_flow", "o-m");
    await post(`/api/hooks/${encodeURIComponent(token)}/resume`, {
      payload: { approved: true, reviewer: "m" },
    });
    const text = await (await h.app.request("/metrics")).text();
    expect(text).toMatch(/latch_runs\{status="succeeded"\} [1-9]/);
    expect(text).toMatch(/latch_hooks_pending \d+/);
    expect(text).toMatch(/latch_hook_resume_duration_seconds_count\{route="api",outcome="ok"\} [1-9]/);
    expect(text).toMatch(
      /latch_hook_resume_duration_seconds_count\{route="api",outcome="PAYLOAD_INVALID"\} [1-9]/,
    );
    expect(text).toMatch(/latch_http_requests_total\{method="GET",route="\/api\/runs",status="200"\}/);
  });

  it("counts the runs of every status and the pending hooks the listings show", async () => {
    await h.startAndWait("srv_approval_flow", "o-count");
    await h.latch.idle();
    const text = await (await h.app.request("/metrics")).text();
    const gauge = (line: RegExp) => Number(text.match(line)?.[1]);
    for (const status of [
      "pending",
      "running",
      "suspended",
      "succeeded",
      "failed",
      "cancelled",
      "timed_out",
    ]) {
      const listed = (await h.latch.runs.list({ status: status as "pending", limit: 1000 })).items.length;
      expect(gauge(new RegExp(`latch_runs\\{status="${status}"\\} (\\d+)`)), status).toBe(listed);
    }
    const pending = (await h.latch.hooks.list({ status: "pending", limit: 1000 })).items.length;
    expect(pending).toBeGreaterThan(0);
    expect(gauge(/latch_hooks_pending (\d+)/)).toBe(pending);
  });
});
