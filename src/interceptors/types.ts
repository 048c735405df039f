/** How a step attempt ended, as interceptors see it (and may replace it). */
export type StepResult = { status: "succeeded"; output: unknown } | { status: "failed"; error: unknown };

/** A StepResult to skip or replace, or nothing (void) to go on / keep the result. */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook written as a plain function body returns void
export type InterceptorReturn = StepResult | undefined | void;

/** What an interceptor knows of the step it wraps. `state` is scratch space shared by its before and after. */
export interface InterceptorContext {
  runId: string;
  workflow: string;
  step: string;
  callSeq: number;
  attempt: number;
  idempotencyKey: string;
  /** The step's arguments (defineStep), or undefined for an inline step(). */
  input: unknown;
  state: Record<string, unknown>;
}

/**
 * Code around every step of every run. `beforeStep` may return a StepResult to skip the step (it is
 * recorded as the step's result, so replay agrees); `afterStep` runs after success and failure and
 * may return a replacement. An interceptor that throws is reported and never fails the step.
 * Interceptors run only when a step really executes, never on replay of a recorded step.
 *
 * @example
 * const timing: StepInterceptor = {
 *   beforeStep: (ctx) => void (ctx.state.t0 = performance.now()),
 *   afterStep: (ctx, r) => void log(ctx.step, r.status, performance.now() - (ctx.state.t0 as number)),
 * };
 */
export interface StepInterceptor {
  name?: string;
  beforeStep?(ctx: InterceptorContext, input: unknown): InterceptorReturn | Promise<InterceptorReturn>;
  afterStep?(ctx: InterceptorContext, result: StepResult): InterceptorReturn | Promise<InterceptorReturn>;
}
