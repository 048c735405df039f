import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/client.js";
import { createLatch } from "../../src/runtime/engine.js";
import type { Logger } from "../../src/runtime/logger.js";
import { silentLogger } from "../../src/runtime/logger.js";
import { createApp } from "../../src/server/index.js";
import { auth, json, KEY, workflows } from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "latch-store-down-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A logger that keeps what it is told, to check that an outage logs one line and no stack. */
function recordingLogger() {
  const lines: { level: string; message: string; details?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    warn: (message, details) => lines.push({ level: "warn", message, details }),
    error: (message, details) => lines.push({ level: "error", message, details }),
  };
  return { logger, lines };
}

/** The routes a monitor, an operator and a script call, each with and without a key. */
const ROUTES: [string, string, RequestInit][] = [
  ["GET", "/healthz", {}],
  ["GET", "/metrics", {}],
  ["GET", "/api/runs", { headers: auth }],
  ["GET", "/api/runs/run_x", { headers: auth }],
  ["GET", "/api/runs/run_x/events", { headers: auth }],
  ["GET", "/api/hooks?status=pending", { headers: auth }],
  ["GET", "/api/hooks/some-token", { headers: auth }],
  [
    "POST",
    "/api/hooks/some-token/resume",
    { headers: { ...auth, "content-type": "application/json" }, body: '{"payload":1}' },
  ],
  ["POST", "/webhooks/whk_x", { body: "{}" }],
];

async function expectUnavailable(res: Response, code: string) {
  expect(res.status).toBe(503);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const p = await json(res);
  expect(p).toMatchObject({ status: 503, code, type: `urn:latch:error:${code}` });
  return p;
}

describe("a store that is closed or unreadable answers 503 with a typed code, never 500", () => {
  it.each(ROUTES)("%s %s on a closed store: 503 CLOSED", async (method, path, init) => {
    const latch = await createLatch({ workflows, store: "sqlite::memory:", logger: silentLogger });
    const { logger, lines } = recordingLogger();
    const app = createApp({ client: latch, apiKeys: [KEY], logger, metricsCacheMs: 0 });
    expect((await app.request("/healthz")).status).toBe(200);
    await latch.close();
    const res = await app.request(path, { method, ...init });
    // A webhook sender too: a 404 would tell it the URL is wrong, and it would not send again.
    const p = await expectUnavailable(res, "CLOSED");
    if (!path.startsWith("/api/")) expect(p.detail).toBe("The service is unavailable; try again later.");
    expect(lines.filter((l) => l.level === "error")).toEqual([]);
    expect(JSON.stringify(lines)).not.toMatch(/\n\s+at /);
  });

  it("an SQLite file damaged under a running server: 503 STORE_UNAVAILABLE on /healthz, /metrics and /api", async () => {
    const file = join(dir, "damaged.db");
    const worker = await createLatch({ workflows, store: `sqlite:${file}`, logger: silentLogger });
    await worker.start("srv_plain");
    await worker.close();
    const client = await createClient({ store: `sqlite:${file}` });
    const { logger, lines } = recordingLogger();
    const app = createApp({ client, apiKeys: [KEY], logger, metricsCacheMs: 0 });
    try {
      expect((await app.request("/healthz")).status).toBe(200);
      writeFileSync(file, "this is no longer a database\n".repeat(4096));
      for (const part of ["-wal", "-shm"]) writeFileSync(`${file}${part}`, "nor is this\n".repeat(4096));

      const health = await expectUnavailable(await app.request("/healthz"), "STORE_UNAVAILABLE");
      // A probe without a key is told the state, not the server's file paths.
      expect(health.detail).not.toContain(dir);
      await expectUnavailable(await app.request("/metrics"), "STORE_UNAVAILABLE");
      const api = await expectUnavailable(
        await app.request("/api/runs", { headers: auth }),
        "STORE_UNAVAILABLE",
      );
      // The operator, who holds a key, is told which file and what to do.
      expect(api.detail).toContain(file);
      expect(api.detail).toMatch(/restore it from a backup|--db/);
      await expectUnavailable(await app.request("/api/hooks", { headers: auth }), "STORE_UNAVAILABLE");

      expect(lines.filter((l) => l.level === "error")).toEqual([]);
      expect(lines.some((l) => l.level === "warn" && l.message.includes(file))).toBe(true);
      expect(JSON.stringify(lines)).not.toMatch(/\n\s+at /);
    } finally {
      await client.close();
    }
  });
});
