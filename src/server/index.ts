export type { AppOptions, LatchApp } from "./app.js";
export { createApp } from "./app.js";
export { bearerAuth, generateApiKey, parseApiKeys } from "./auth.js";
export type { RunningServer, ServerOptions } from "./node-server.js";
export { DEFAULT_PORT, startServer } from "./node-server.js";
export { openApiDocument } from "./openapi.js";
export { presentEvent } from "./present.js";
export type { Problem } from "./problem.js";
export { HttpError, statusOf, toProblem } from "./problem.js";
