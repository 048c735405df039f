export { Client, createClient, RunHandle } from "./client.js";
export type { ClientOptions, HookInfo, ResumeOptions, ResumeResult, RunInfo } from "./client.js";
