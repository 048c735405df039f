export type * from "./records.js";
export { isTerminal, RUN_STATUSES, TERMINAL_STATUSES } from "./records.js";
export type { Store, StoreChange, WatchOptions } from "./store.js";
