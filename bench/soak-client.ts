/**
 * The client process of the soak (bench/soak.ts), which runs no workflow code:
 * `node --import tsx bench/soak-client.ts <postgres url> <n> <payloads> <lanes> <spreadMs>`.
 *
 * `lanes` runs are in progress at a time. Each lane starts run i (token `soak-<i>`), sends payload 0
 * at once (usually before the hook exists: kept for it) and the others at random moments within
 * `spreadMs` (mostly while the run waits on its hook, sometimes while a worker is executing it or is
 * being killed). Every payload carries an idempotency key. Reports `progress {started, sent}` every
 * second and `done` at the end; any error ends the process with a non-zero code.
 */
import { createClient } from "../src/index.js";
import { serveParent, toParent } from "./child-process.js";

const [url, nArg, payloadsArg, lanesArg, spreadArg] = process.argv.slice(2);
if (!url || !nArg) {
  console.error("usage: soak-client.ts <postgres url> <n> <payloads> <lanes> <spreadMs>");
  process.exit(2);
}
const N = Number(nArg);
const PAYLOADS = Number(payloadsArg ?? 3);
const LANES = Number(lanesArg ?? 200);
const SPREAD_MS = Number(spreadArg ?? 2000);

const client = await createClient({ store: url });
let started = 0;
let sent = 0;
const report = setInterval(() => toParent({ type: "progress", started, sent }), 1000);
serveParent({}, () => client.close());
toParent({ type: "ready" });

async function runOne(i: number): Promise<void> {
  const token = `soak-${i}`;
  await client.start("bench_soak", token, PAYLOADS);
  started++;
  const t0 = Date.now();
  const moments = Array.from({ length: PAYLOADS }, (_, k) => (k === 0 ? 0 : Math.random() * SPREAD_MS)).sort(
    (a, b) => a - b,
  );
  for (const [k, at] of moments.entries()) {
    const wait = t0 + at - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await client.resumeHook(token, { k }, { ifMissing: "keep", idempotencyKey: `payload-${k}` });
    sent++;
  }
}

let next = 0;
await Promise.all(
  Array.from({ length: Math.min(LANES, N) }, async () => {
    while (next < N) await runOne(next++);
  }),
);
clearInterval(report);
await client.close();
await new Promise((r) => process.send!({ type: "done", started, sent }, r));
process.exit(0);
