/**
 * A Prometheus plugin: step attempts counted and timed by workflow, step and status (prom-client).
 *
 *   latch_step_runs_total{workflow,step,status}            attempts that ended, succeeded or failed
 *   latch_step_duration_seconds{workflow,step,status}      how long they took (histogram)
 *
 * Every attempt counts, so a step that failed twice and then succeeded adds 2 to `failed` and 1 to
 * `succeeded`. Recorded steps replayed after a restart or a resume are not counted again.
 */
import { Counter, Histogram, type Registry, register } from "prom-client";
import type { LatchPlugin } from "../../src/index.js";

type Labels = "workflow" | "step" | "status";

export interface PrometheusMetricsOptions {
  /** Where the metrics are registered. Default: prom-client's global registry. */
  registry?: Registry;
  /** Prepended to the metric names. Default `latch_`. */
  prefix?: string;
  /** Histogram buckets in seconds. Default: 5 ms to 5 min. */
  buckets?: number[];
  /** A monotonic clock in milliseconds. Default `performance.now`. */
  now?: () => number;
}

const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const START = "prometheusMetrics.start";

/**
 * Creates the metrics plugin. Two plugins on one registry share the metrics instead of failing
 * on a duplicate name, so creating the engine twice in a process (tests, hot reload) is safe.
 *
 * @example
 * import { Registry } from "prom-client";
 * const registry = new Registry();
 * const latch = await createLatch({ workflows, plugins: [prometheusMetricsPlugin({ registry })] });
 * app.get("/metrics", async (c) => c.text(await registry.metrics()));
 */
export function prometheusMetricsPlugin(options: PrometheusMetricsOptions = {}): LatchPlugin {
  const registry = options.registry ?? register;
  const prefix = options.prefix ?? "latch_";
  const now = options.now ?? (() => performance.now());
  const labelNames: Labels[] = ["workflow", "step", "status"];

  const runsName = `${prefix}step_runs_total`;
  const runs =
    (registry.getSingleMetric(runsName) as Counter<Labels> | undefined) ??
    new Counter<Labels>({
      name: runsName,
      help: "Step attempts that ended, by workflow, step and status.",
      labelNames,
      registers: [registry],
    });
  const durationName = `${prefix}step_duration_seconds`;
  const duration =
    (registry.getSingleMetric(durationName) as Histogram<Labels> | undefined) ??
    new Histogram<Labels>({
      name: durationName,
      help: "Duration of step attempts in seconds, by workflow, step and status.",
      labelNames,
      buckets: options.buckets ?? DEFAULT_BUCKETS,
      registers: [registry],
    });

  return {
    name: "prometheus-metrics",
    interceptors: [
      {
        name: "prometheus-metrics",
        beforeStep(ctx) {
          ctx.state[START] = now();
        },
        afterStep(ctx, result) {
          const labels = { workflow: ctx.workflow, step: ctx.step, status: result.status };
          const started = ctx.state[START] as number | undefined;
          runs.inc(labels);
          if (started !== undefined) duration.observe(labels, Math.max(0, now() - started) / 1000);
        },
      },
    ],
  };
}
