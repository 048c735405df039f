import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyHmacSignature, verifyWebhookSignature, type WebhookRequest } from "../../src/index.js";
import { createLatch } from "../../src/runtime/engine.js";
import { silentLogger } from "../../src/runtime/logger.js";
import { startServer } from "../../src/server/index.js";
import { type Harness, harness, json, webhookAccepted } from "./fixtures.js";

let h: Harness;
beforeAll(async () => {
  h = await harness({ publicUrl: "https://hooks.example.com/" });
});
afterAll(async () => {
  await h.close();
});

const send = (token: string, init: RequestInit & { path?: string } = {}) =>
  h.app.request(`/webhooks/${token}${init.path ?? ""}`, { method: "POST", ...init });

describe("webhook URLs", () => {
  it("records method, path, query, headers and body, answers 202, and gives a random token and a public URL", async () => {
    const { runId, token } = await h.startAndWait("srv_webhook_accepted");
    expect(token).toMatch(/^whk_[A-Za-z0-9_-]{27}$/); // 160 random bits
    const events = await h.latch.events(runId, { typePrefix: "step.completed" });
    expect(events[0]).toMatchObject({
      name: "publish",
      result: `https://hooks.example.com/webhooks/${token}`,
    });

    const res = await send(token, {
      method: "PUT",
      path: "/github?x=1&y=2&y=3",
      headers: { "content-type": "text/plain", "x-custom": "yes" },
      body: "héllo",
    });
    expect(res.status).toBe(202);
    const body = await json(res);
    expect(body).toEqual({ accepted: true, requestId: expect.stringMatching(/^req_/) });
    expect(res.headers.get("x-latch-request-id")).toBe(body.requestId);
    const run = await h.latch.waitForRun(runId);
    expect(run.output).toEqual({
      method: "PUT",
      body: "héllo",
      query: { x: "1", y: ["2", "3"] },
      path: `/webhooks/${token}/github`,
    });
    const [received] = await h.latch.events(runId, { typePrefix: "hook.received" });
    const recorded = (received as { payload: WebhookRequest }).payload;
    expect(recorded.headers).toMatchObject({ "x-custom": "yes", "content-type": "text/plain" });
    expect(recorded.receivedAt).toBeGreaterThan(0);
  });

  it("keeps a binary body as base64", async () => {
    const { runId, token } = await h.startAndWait("srv_webhook_static");
    const bytes = new Uint8Array([0xff, 0xfe, 0x00, 0x41]);
    const res = await send(token, { body: bytes });
    expect(res.status).toBe(200);
    await h.latch.waitForRun(runId);
    const [received] = await h.latch.events(runId, { typePrefix: "hook.received" });
    const recorded = (received as { payload: WebhookRequest }).payload;
    expect(recorded).toMatchObject({ bodyEncoding: "base64", body: Buffer.from(bytes).toString("base64") });
  });

  it("answers with the webhook's static response", async () => {
    const { token } = await h.startAndWait("srv_webhook_static");
    const res = await send(token, { method: "GET" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-from")).toBe("latch");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await json(res)).toEqual({ ok: true });
  });

  it("waits for the workflow's own answer (manual), request after request", async () => {
    const { runId, token } = await h.startAndWait("srv_webhook_manual");
    const first = await send(token, { body: "abc" });
    expect(first.status).toBe(201);
    expect(await json(first)).toEqual({ received: 3, method: "POST" });
    const [a, b] = await Promise.all([
      send(token, { body: "12345" }),
      send(token, { method: "PATCH", body: "stop" }),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(await json(a)).toEqual({ received: 5, method: "POST" });
    expect(await json(b)).toEqual({ received: 4, method: "PATCH" });
    expect((await h.latch.waitForRun(runId)).output).toBe("done");
  });

  it("answers 504 when the workflow does not answer in time, and when the run ends without answering", async () => {
    const { runId, token } = await h.startAndWait("srv_webhook_silent");
    const t0 = Date.now();
    const res = await send(token, { body: "x" });
    expect(res.status).toBe(504);
    expect((await json(res)).code).toBe("WEBHOOK_RESPONSE_TIMEOUT");
    expect(Date.now() - t0).toBeLessThan(3000);
    await h.latch.cancel(runId);
    const gone = await send(token, { body: "y" });
    expect(gone.status).toBe(410);
  });

  it("refuses a body over the limit with 413, and records nothing", async () => {
    const { runId, token } = await h.startAndWait("srv_webhook_static");
    const res = await send(token, { body: "x".repeat(1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect((await json(res)).code).toBe("PAYLOAD_TOO_LARGE");
    expect(await h.latch.events(runId, { typePrefix: "hook.received" })).toEqual([]);
  });

  it("never exposes a plain hook, an unknown or a malformed token (404 alike)", async () => {
    const { token } = await h.startAndWait("srv_plain");
    for (const t of [encodeURIComponent(token), "whk_unknown", "x".repeat(300)]) {
      const res = await send(t, { body: "{}" });
      expect(res.status).toBe(404);
      expect((await json(res)).code).toBe("WEBHOOK_NOT_FOUND");
    }
    expect((await h.latch.hooks.get(token))?.payloads).toBe(0);
  });

  it("takes LATCH_PUBLIC_URL over the server's own address, and the server's over the default", async () => {
    // The URL a run gives out, with the latch served by a real server in this process.
    const urlGivenOut = async () => {
      const latch = await createLatch({
        workflows: [webhookAccepted],
        store: "sqlite::memory:",
        logger: silentLogger,
      });
      const server = await startServer({ client: latch, apiKeys: ["k"], port: 0 });
      try {
        const run = await latch.start(webhookAccepted);
        let published: unknown;
        for (let i = 0; i < 500 && published === undefined; i++) {
          await latch.idle();
          published = (await latch.events(run.id, { typePrefix: "step.completed" }))[0];
        }
        return { server: server.url, url: (published as { result: string }).result };
      } finally {
        await server.close();
        await latch.close();
      }
    };
    process.env.LATCH_PUBLIC_URL = "https://public.example.org/base/";
    try {
      expect((await urlGivenOut()).url).toMatch(/^https:\/\/public\.example\.org\/base\/webhooks\/whk_/);
    } finally {
      delete process.env.LATCH_PUBLIC_URL;
    }
    const served = await urlGivenOut();
    expect(served.url.startsWith(`${served.server}/webhooks/whk_`)).toBe(true);
  });
});

describe("signature helpers", () => {
  const secret = "s3cret";
  const body = '{"action":"opened"}';
  const request = (headers: Record<string, string>, receivedAt = 1_700_000_000_000): WebhookRequest => ({
    id: "req_1",
    method: "POST",
    path: "/webhooks/whk_x",
    query: {},
    headers,
    body,
    receivedAt,
  });
  const hmac = (payload: string, key = secret) => createHmac("sha256", key).update(payload).digest("hex");

  it("verifies GitHub X-Hub-Signature-256", () => {
    expect(
      verifyWebhookSignature(request({ "x-hub-signature-256": `sha256=${hmac(body)}` }), {
        scheme: "github",
        secret,
      }),
    ).toBe(true);
    expect(
      verifyWebhookSignature(request({ "x-hub-signature-256": `sha256=${hmac(body, "other")}` }), {
        scheme: "github",
        secret,
      }),
    ).toBe(false);
    expect(
      verifyWebhookSignature(request({ "x-hub-signature-256": hmac(body) }), { scheme: "github", secret }),
    ).toBe(false);
    expect(verifyWebhookSignature(request({}), { scheme: "github", secret })).toBe(false);
  });

  it("verifies Stripe-Signature against the request's own time", () => {
    const t = 1_700_000_000;
    const header = `t=${t},v1=${"0".repeat(64)},v1=${hmac(`${t}.${body}`)}`;
    expect(
      verifyWebhookSignature(request({ "stripe-signature": header }), { scheme: "stripe", secret }),
    ).toBe(true);
    // Too old relative to when it was received: refused, whatever the clock says at replay.
    expect(
      verifyWebhookSignature(request({ "stripe-signature": header }, (t + 301) * 1000), {
        scheme: "stripe",
        secret,
      }),
    ).toBe(false);
    expect(
      verifyWebhookSignature(request({ "stripe-signature": `t=${t},v1=${hmac(`${t}.x`)}` }), {
        scheme: "stripe",
        secret,
      }),
    ).toBe(false);
    expect(
      verifyWebhookSignature(request({ "stripe-signature": "garbage" }), { scheme: "stripe", secret }),
    ).toBe(false);
  });

  it("compares HMACs of any encoding, refusing malformed signatures", () => {
    const b64 = createHmac("sha256", secret).update(body).digest("base64");
    expect(verifyHmacSignature({ secret, payload: body, signature: b64, encoding: "base64" })).toBe(true);
    expect(verifyHmacSignature({ secret, payload: body, signature: "zz" })).toBe(false);
    expect(verifyHmacSignature({ secret, payload: body, signature: hmac(body).slice(0, 10) })).toBe(false);
  });
});
