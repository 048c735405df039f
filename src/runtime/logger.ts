/** Where the engine reports what it cannot throw (a failing onCreated, a dropped run). */
export interface Logger {
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

export const consoleLogger: Logger = {
  warn: (message, details) => console.warn(`[latch] ${message}`, details ?? ""),
  error: (message, details) => console.error(`[latch] ${message}`, details ?? ""),
};

export const silentLogger: Logger = { warn() {}, error() {} };
