export type { ClientOptions, HookInfo, ResumeOptions, ResumeResult, RunInfo } from "./client.js";
export { Client, createClient, RunHandle } from "./client.js";
