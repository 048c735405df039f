import { InvalidArgumentError, NotImplementedError } from "../errors.js";
import type { LatchPlugin } from "./types.js";

/** Parts of a plugin that the contract declares but this version does not run yet: refused, never ignored. */
const NOT_YET = {
  triggers: "triggers (runs started per event)",
  nodes: "flow nodes",
} as const;

/**
 * Refuses plugins createLatch cannot honour, before any store is opened or worker started: a value
 * that is not a plugin, interceptors that are not a list, and triggers or flow nodes, which Latch
 * does not run yet (accepting them would ignore them silently).
 * @throws InvalidArgumentError or NotImplementedError naming `plugins[i].<field>` and the plugin.
 * @example checkPlugins([{ name: "audit", interceptors: [audit] }]); // fine
 */
export function checkPlugins(plugins: unknown): void {
  if (plugins === undefined) return;
  if (!Array.isArray(plugins)) {
    throw new InvalidArgumentError("plugins", "is not a list", "Pass plugins: [myPlugin, ...].");
  }
  for (const [i, p] of plugins.entries()) {
    const plugin = p as Partial<LatchPlugin> | null;
    if (typeof plugin !== "object" || plugin === null || typeof plugin.name !== "string") {
      throw new InvalidArgumentError(
        `plugins[${i}]`,
        "is not a plugin",
        "Pass an object { name, interceptors } (or load configured ones with loadConfiguredPlugins()).",
      );
    }
    const name = JSON.stringify(plugin.name);
    if (plugin.interceptors !== undefined && !Array.isArray(plugin.interceptors)) {
      throw new InvalidArgumentError(
        `plugins[${i}].interceptors`,
        `of the plugin ${name} is not a list`,
        "Give interceptors as an array of { beforeStep, afterStep } objects.",
      );
    }
    for (const [field, what] of Object.entries(NOT_YET)) {
      const value = plugin[field as keyof typeof NOT_YET];
      // An empty list declares nothing, so nothing would be ignored.
      if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
      throw new NotImplementedError(
        `plugins[${i}].${field}`,
        `the plugin ${name} declares ${what}, which are not available yet in this version of Latch`,
        `Remove ${field} from the plugin ${name} (its interceptors can stay); ` +
          (field === "triggers"
            ? "until triggers exist, start runs from your event source with latch.start()."
            : "until flow nodes exist, call the code from a step of a code workflow."),
      );
    }
  }
}
