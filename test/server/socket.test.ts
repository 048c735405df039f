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
  } finally {
    await server.close();
  }
  await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
});
