import { afterAll, expect, it } from "vitest";
import { createClient } from "../../src/client/client.js";
import { silentLogger } from "../../src/runtime/logger.js";
import { startServer } from "../../src/server/index.js";

const client = await createClient({ store: "sqlite::memory:" });
afterAll(() => client.close());

it("serves over a real socket on 127.0.0.1 and closes cleanly", async () => {
  const server = await startServer({ client, apiKeys: ["k1"], port: 0, logger: silentLogger });
  try {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${server.url}/healthz`);
    expect(await health.json()).toEqual({ status: "ok" });
    const denied = await fetch(`${server.url}/api/hooks`);
    expect(denied.status).toBe(401);
    const page = await fetch(`${server.url}/api/hooks?status=pending`, {
      headers: { authorization: "Bearer k1" },
    });
    expect(await page.json()).toEqual({ items: [] });
    // A declared Content-Length over the limit is refused before the body is read.
    const big = await fetch(`${server.url}/api/runs`, {
      method: "POST",
      headers: { authorization: "Bearer k1", "content-type": "application/json" },
      body: JSON.stringify({ workflow: "w", input: "x".repeat(1024 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { code: string }).code).toBe("PAYLOAD_TOO_LARGE");
    const bad = await fetch(`${server.url}/api/runs`, {
      method: "POST",
      headers: { authorization: "Bearer k1", "content-type": "application/json" },
      body: "{oops",
    });
    expect(bad.status).toBe(400);
  } finally {
    await server.close();
  }
  await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
});
