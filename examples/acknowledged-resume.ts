/**
 * An acknowledged resume: a process without the workflow code sends a payload and waits for the
 * worker's verdict, which checks the hook's own schema — here a refinement JSON Schema cannot say.
 *
 *   npx tsx examples/acknowledged-resume.ts
 *
 * The worker (createLatch, with the code) and the sender (createClient, without it: it knows only
 * the JSON Schema stored with the hook) share the embedded SQLite file. The first payload passes
 * the JSON Schema, fails the refinement where the code is, and is recorded as `hook.rejected`: the
 * run goes on waiting. The second is delivered.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import {
  createClient,
  createLatch,
  defineHook,
  defineWorkflow,
  PayloadValidationError,
} from "../src/index.js";

const signOff = defineHook(
  "release_sign_off",
  z.object({
    reviewer: z.string().refine((s) => s.endsWith("@example.com"), "must be an @example.com address"),
  }),
);

export const release = defineWorkflow("release", async (version: string) => {
  const { reviewer } = await signOff.create({ timeout: "1d" });
  return { version, signedOffBy: reviewer };
});

export async function main(store: string): Promise<unknown> {
  const latch = await createLatch({ workflows: [release], store });
  const sender = await createClient({ store }); // no workflow code, no hook definitions
  try {
    const run = await latch.start(release, "1.4.0");
    await latch.idle();
    const [pending] = (await sender.hooks.list({ status: "pending", runId: run.id })).items;
    if (!pending) throw new Error("the run should be waiting on its sign-off");

    try {
      await sender.resumeHook(
        pending.token,
        { reviewer: "bob@elsewhere.org" },
        { wait: "delivered", by: "bob" },
      );
    } catch (err) {
      if (!PayloadValidationError.is(err) || !err.recorded) throw err;
      console.log(`rejected by the worker: ${err.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
    }
    console.log(`still ${await run.status()}; hook ${(await sender.hooks.get(pending.token))?.status}`);

    const ok = await sender.resumeHook(
      pending.token,
      { reviewer: "ann@example.com" },
      { wait: "delivered", by: "ann" },
    );
    console.log(`delivered: ${ok.delivered}`);
    const result = await run.result();
    console.log(`result: ${JSON.stringify(result)}`);
    for (const e of await run.events({ typePrefix: "hook" })) console.log(`  ${e.type}`);
    return result;
  } finally {
    await sender.close();
    await latch.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const dir = mkdtempSync(join(tmpdir(), "latch-ack-"));
  main(`sqlite:${join(dir, "latch.db")}`)
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => rmSync(dir, { recursive: true, force: true }));
}
