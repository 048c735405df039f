import { afterAll, describe, expect, it } from "vitest";
import { cli, cliProcess, FIXTURES, tempDb } from "./helpers.js";

const db = tempDb();
afterAll(() => db.remove());

describe("long-running commands", { timeout: 120_000 }, () => {
  it("dev: serves the API with a printed key, shows each pending hook with commands that work, stops on Ctrl-C", async () => {
    const dev = cliProcess([
      "dev",
      FIXTURES,
      "--db",
      db.url,
      "--port",
      "0",
      "--start",
      "cli_review_flow",
      "--input",
      '"o-dev"',
    ]);
    try {
      const [, url] = await dev.waitFor(/server\s+(http:\/\/127\.0\.0\.1:\d+)/);
      const [, key] = await dev.waitFor(/API key\s+(lk_\S+)/);
      const [, runId] = await dev.waitFor(/● hook cli_review is waiting — run (run_\w+)/);
      const [, curlPath] = await dev.waitFor(
        /curl -sS -X POST (http:\/\/\S+\/resume) -H 'Authorization: Bearer lk_/,
      );
      // Inside the repository `latch` is on no PATH: the printed commands say how to run it here.
      expect(dev.output()).toContain(`npm run latch -- hooks resume ${runId}:hook_`);

      expect((await fetch(`${url}/api/hooks?status=pending`)).status).toBe(401);
      const page: any = await (
        await fetch(`${url}/api/hooks?status=pending`, { headers: { authorization: `Bearer ${key}` } })
      ).json();
      expect(page.items).toHaveLength(1);

      const busy = await cli(["serve", "--db", db.url, "--port", new URL(url!).port, "--api-key", "k"]);
      expect(busy.code).toBe(2);
      expect(busy.stderr).toMatch(/--port: \d+ is already in use/);

      const res = await fetch(curlPath!, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ payload: { approved: true, reviewer: "dev", level: "low" } }),
      });
      expect(res.status).toBe(200);
      await dev.waitFor(new RegExp(`○ run ${runId} \\(cli_review_flow\\) succeeded: .*"reviewer":"dev"`));
    } finally {
      dev.child.kill("SIGINT");
    }
    expect(await dev.exited).toBe(0);
  });

  it("worker and serve: separate processes on one database", async () => {
    const other = tempDb();
    const env = { LATCH_DATABASE_URL: other.url, LATCH_API_KEYS: "k-one,k-two" };
    const worker = cliProcess(["worker", FIXTURES], env);
    // Started together: the server may come first and make the database (and says so).
    const server = cliProcess(["serve", "--port", "0"], env);
    try {
      await worker.waitFor(/Worker running cli_broken, cli_echo, cli_review_flow/);
      const [, url] = await server.waitFor(/Latch API on (http:\/\/127\.0\.0\.1:\d+) \(2 API keys\)/);
      const auth = { authorization: "Bearer k-two", "content-type": "application/json" };
      const started = await fetch(`${url}/api/runs`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ workflow: "cli_echo", input: 7 }),
      });
      expect(started.status).toBe(201);
      const { id } = (await started.json()) as { id: string };
      let run: { status: string; output?: unknown } = { status: "pending" };
      for (let i = 0; i < 200 && run.status !== "succeeded"; i++) {
        await new Promise((r) => setTimeout(r, 25));
        run = (await (await fetch(`${url}/api/runs/${id}`, { headers: auth })).json()) as typeof run;
      }
      expect(run).toMatchObject({ status: "succeeded", output: { value: 7 } });
    } finally {
      worker.child.kill("SIGTERM");
      server.child.kill("SIGTERM");
      other.remove();
    }
    expect(await worker.exited).toBe(0);
    expect(await server.exited).toBe(0);
  });
});
