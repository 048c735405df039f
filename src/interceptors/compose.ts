import type { HookErrorReporter } from "../lifecycle/types.js";
import type { InterceptorContext, StepInterceptor, StepResult } from "./types.js";

export type StepRunner = (input: unknown) => Promise<StepResult>;

/**
 * Composes interceptors into one `(input, next)` chain, outermost first: interceptor 0 wraps 1,
 * which wraps 2, …, which wraps the step. beforeStep hooks run in list order until one returns a
 * result (the inner ones and the step are then skipped); afterStep hooks run in reverse order, each
 * seeing the result of the layer inside it. Returns whether the step itself ran.
 */
export function composeInterceptors(
  interceptors: readonly StepInterceptor[],
  report: HookErrorReporter,
): (
  ctx: InterceptorContext,
  input: unknown,
  step: StepRunner,
) => Promise<{ result: StepResult; ran: boolean }> {
  if (interceptors.length === 0) {
    return async (_ctx, input, step) => ({ result: await step(input), ran: true });
  }
  return async (ctx, input, step) => {
    let ran = false;
    const layer = async (i: number): Promise<StepResult> => {
      const ic = interceptors[i];
      if (!ic) {
        ran = true;
        return step(input);
      }
      const name = ic.name ?? `interceptor #${i}`;
      const isolated = async (fn: () => unknown): Promise<StepResult | undefined> => {
        try {
          const r = await fn();
          return isStepResult(r) ? r : undefined;
        } catch (err) {
          report(err, { kind: "interceptor", name, runId: ctx.runId });
          return undefined;
        }
      };
      // Each interceptor gets its own scratch `state`, shared by its before and after only.
      const own: InterceptorContext = { ...ctx, state: {} };
      const skip = ic.beforeStep ? await isolated(() => ic.beforeStep!(own, input)) : undefined;
      const inner = skip ?? (await layer(i + 1));
      const replaced = ic.afterStep ? await isolated(() => ic.afterStep!(own, inner)) : undefined;
      return replaced ?? inner;
    };
    const result = await layer(0);
    return { result, ran };
  };
}

function isStepResult(v: unknown): v is StepResult {
  const s = (v as { status?: unknown } | null)?.status;
  return s === "succeeded" || s === "failed";
}
