import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth, type Harness, harness, json } from "./fixtures.js";

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(() => h.close());

const LONG = "x".repeat(5000);
const post = (path: string, body: string) =>
  h.app.request(path, { method: "POST", headers: { "content-type": "application/json", ...auth }, body });

describe("the API never sends a caller's input back whole", () => {
  it.each([
    ["a 5,000-character token", () => h.app.request(`/api/hooks/${LONG}`, { headers: auth })],
    ["a 5,000-character token to resume", () => post(`/api/hooks/${LONG}/resume`, '{"payload":1}')],
    [
      "an unknown 200-character token",
      () => h.app.request(`/api/hooks/${"y".repeat(200)}`, { headers: auth }),
    ],
    ["a 5,000-character run id", () => h.app.request(`/api/runs/${LONG}`, { headers: auth })],
    ["a 5,000-character field name", () => post("/api/runs", `{"workflow":"srv_plain","${LONG}":1}`)],
    ["a 5,000-character query value", () => h.app.request(`/api/runs?status=${LONG}`, { headers: auth })],
    ["a 5,000-character workflow name", () => post("/api/runs", `{"workflow":"${LONG}"}`)],
    [
      "a 5,000-character ifMissing",
      () => post("/api/hooks/tok/resume", `{"payload":1,"ifMissing":"${LONG}"}`),
    ],
    [
      "a 5,000-character webhook token",
      () => h.app.request(`/webhooks/${LONG}`, { method: "POST", body: "{}" }),
    ],
  ])("%s is cut in the problem document", async (_what, send) => {
    const res = await send();
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const text = await res.text();
    expect(text.length).toBeLessThan(1000);
    const p = JSON.parse(text);
    // Messages repeat at most 64 characters of a value; the request path in `instance` at most 128.
    expect(p.detail).not.toMatch(/x{65}|y{65}/);
    expect(p.field ?? "").not.toMatch(/x{65}/);
    expect(text).not.toMatch(/x{129}|y{129}/);
    expect(p.code).toMatch(/^[A-Z_]+$/);
  });
});

describe("webhook URLs answer outsiders without operator hints", () => {
  it("a finished webhook answers 410 with a generic detail, no `latch …` command", async () => {
    const { runId, token } = await h.startAndWait("srv_webhook_accepted");
    await h.latch.cancel(runId);
    const res = await h.app.request(`/webhooks/${token}`, { method: "POST", body: "{}" });
    expect(res.status).toBe(410);
    const p = await json(res);
    expect(p.code).toBe("HOOK_DISPOSED");
    expect(p.detail).toBe("This URL no longer accepts requests.");
    expect(JSON.stringify(p)).not.toMatch(/latch |hooks list|workflow/);
  });

  it("an operator calling the API keeps the detailed message", async () => {
    const { runId, token } = await h.startAndWait("srv_approval_flow", "o-echo");
    await h.latch.cancel(runId);
    const res = await post(`/api/hooks/${encodeURIComponent(token)}/resume`, '{"payload":{"approved":true}}');
    expect(res.status).toBe(410);
    expect((await json(res)).detail).toContain("latch hooks list");
  });
});
