import type { SerializedError } from "../errors.js";
import { decodeValue } from "../replay/values.js";
import type { HookRecord, RunRecord, RunStatus } from "../store/records.js";

/** A run as clients see it: values decoded from JSON. Times are ms since the epoch. */
export interface RunInfo {
  id: string;
  workflow: string;
  version?: string;
  status: RunStatus;
  input: unknown[];
  output?: unknown;
  error?: SerializedError;
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
  /** When the run next wakes by itself (a sleep or a hook timeout), if it waits on one. */
  wakeAt?: number;
  /** A cancel was asked for and the worker holding the run has not stopped it yet. */
  cancelRequested: boolean;
}

export type HookInfo = HookRecord;

export function toRunInfo(run: RunRecord): RunInfo {
  return {
    id: run.id,
    workflow: run.workflow,
    version: run.version,
    status: run.status,
    input: decodeValue<unknown[]>(run.input) ?? [],
    output: decodeValue(run.output),
    error: run.error,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    finishedAt: run.finishedAt,
    wakeAt: run.wakeAt,
    cancelRequested: run.cancelRequested,
  };
}
