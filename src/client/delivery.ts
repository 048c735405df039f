import { DeliveryPendingError, HookDisposedError, PayloadValidationError } from "../errors.js";
import { isTerminal } from "../store/records.js";
import type { Store } from "../store/store.js";

/** How long `wait: "delivered"` waits by default before DeliveryPendingError. */
export const DEFAULT_DELIVERY_WAIT_MS = 30_000;

/**
 * Waits for the worker's verdict on a recorded payload: returns once its run took it
 * (`hook.received`), throws PayloadValidationError (`recorded: true`) when the hook's own schema
 * turned it down (`hook.rejected`), HookDisposedError when the run ended without taking it, and
 * DeliveryPendingError when `timeoutMs` passed first (the payload stays recorded).
 *
 * Polls the store with a growing interval (2 ms up to 50 ms): a worker on the same machine takes
 * a payload within milliseconds, and the store has no per-payload notification to wait on.
 */
export async function waitForDelivery(
  store: Store,
  token: string,
  inboxId: number,
  timeoutMs: number,
  isClosed: () => boolean,
  recorded: DeliveryPendingError["result"],
): Promise<void> {
  const started = Date.now();
  let pause = 2;
  for (let round = 0; ; round++) {
    const entry = await store.getInboxEntry(inboxId);
    if (!entry) throw new HookDisposedError(token);
    if (entry.status === "delivered") return;
    if (entry.status === "rejected") {
      throw new PayloadValidationError(entry.issues ?? [], token, { recorded: true });
    }
    // A run that ended before taking the payload never will (its hooks were disposed).
    if (entry.runId && round % 4 === 3) {
      const run = await store.getRun(entry.runId);
      if (run && isTerminal(run.status)) {
        const again = await store.getInboxEntry(inboxId);
        if (again?.status === "pending") throw new HookDisposedError(token);
        continue;
      }
    }
    const waited = Date.now() - started;
    if (waited >= timeoutMs) throw new DeliveryPendingError(token, inboxId, timeoutMs, recorded);
    if (isClosed()) throw new DeliveryPendingError(token, inboxId, waited, recorded);
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, timeoutMs - waited)));
    pause = Math.min(pause * 2, 50);
  }
}
