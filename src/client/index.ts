export type { RunEvent, RunEventOf } from "../replay/run-event.js";
export type { ClientOptions } from "./client.js";
export { Client, createClient } from "./client.js";
export type { EventPage, EventPageFilter } from "./event-page.js";
export type { ResumeOptions, ResumeResult } from "./resume-options.js";
export { RunHandle } from "./run-handle.js";
export type { HookInfo, RunInfo } from "./run-info.js";
