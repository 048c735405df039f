import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.js";
import { checkWorkerOptions, DEFAULT_LEASE_MS, resolveWorkerOptions } from "./worker-options.js";

describe("worker options", () => {
  it("fills in the defaults, keeping what was given", () => {
    expect(resolveWorkerOptions(undefined)).toMatchObject({ leaseMs: DEFAULT_LEASE_MS, concurrency: 1000 });
    expect(resolveWorkerOptions(false).leaseMs).toBe(DEFAULT_LEASE_MS);
    const o = resolveWorkerOptions({ leaseMs: 500, recordDelayMs: 0, pollMs: undefined });
    expect(o).toMatchObject({ leaseMs: 500, recordDelayMs: 0, pollMs: 1_000, claimBatch: 256 });
  });

  it("refuses what a worker cannot run with, naming the option", () => {
    expect(() => checkWorkerOptions({ leaseMs: 50 })).toThrow(/worker\.leaseMs/);
    expect(() => checkWorkerOptions({ claimBatch: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => checkWorkerOptions({ leaseMs: "30s" as never })).toThrow(/is "30s"/);
    expect(() => checkWorkerOptions({ lease: 10 } as never)).toThrow(/worker\.lease.*not a worker option/s);
    expect(() => checkWorkerOptions(7 as never)).toThrow(/worker/);
    expect(() => checkWorkerOptions({ recordDelayMs: 0, warmCacheSize: 0 })).not.toThrow();
    expect(() => checkWorkerOptions(false)).not.toThrow();
  });
});
