export type { Store } from "./store.js";
export type * from "./records.js";
export { isTerminal, TERMINAL_STATUSES } from "./records.js";
