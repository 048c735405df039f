export type { RunEvent, RunEventOf } from "../replay/run-event.js";
export type {
  ClientOptions,
  EventPage,
  EventPageFilter,
  HookInfo,
  ResumeOptions,
  ResumeResult,
  RunInfo,
} from "./client.js";
export { Client, createClient, RunHandle } from "./client.js";
