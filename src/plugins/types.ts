import type { StepInterceptor } from "../interceptors/types.js";

/**
 * A bundle of cross-cutting behaviour: interceptors. Triggers and flow nodes are planned; until
 * they exist, createLatch refuses a plugin that declares any (NotImplementedError), rather than
 * ignore them.
 * @example
 * export const auditPlugin: LatchPlugin = { name: "audit", interceptors: [auditInterceptor] };
 * await createLatch({ workflows, plugins: [auditPlugin] });
 */
export interface LatchPlugin {
  name: string;
  interceptors?: StepInterceptor[];
  /** Not available yet: a non-empty list is refused by createLatch with NotImplementedError. */
  triggers?: unknown[];
  /** Not available yet: a non-empty list is refused by createLatch with NotImplementedError. */
  nodes?: unknown[];
}
