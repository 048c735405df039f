import type { StepInterceptor } from "../interceptors/types.js";

/**
 * A bundle of cross-cutting behaviour: interceptors now, triggers and flow nodes later.
 * @example
 * export const auditPlugin: LatchPlugin = { name: "audit", interceptors: [auditInterceptor] };
 * await createLatch({ workflows, plugins: [auditPlugin] });
 */
export interface LatchPlugin {
  name: string;
  interceptors?: StepInterceptor[];
  /** Reserved for triggers (started runs per event); kept so plugins can already declare them. */
  triggers?: unknown[];
  /** Reserved for declarative flow nodes. */
  nodes?: unknown[];
}
