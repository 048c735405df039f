import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { checkPublicUrl } from "../client/public-url.js";
import { InvalidArgumentError } from "../errors.js";
import { type AppOptions, createApp, type LatchApp } from "./app.js";
import { boundUrl, isWildcardHost } from "./bind.js";

export const DEFAULT_PORT = 8787;

export interface ServerOptions extends Omit<AppOptions, "signal"> {
  /** Default 8787; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1: reachable from this machine only. Bind wider on purpose, behind TLS. */
  host?: string;
  /**
   * The base URL webhooks are reached at, for the client served (and, when it is a latch, the
   * webhooks its runs create), unless the client was given one (publicUrl, LATCH_PUBLIC_URL).
   * Default this server's address.
   */
  publicUrl?: string;
}

export interface RunningServer {
  /**
   * A URL this machine reaches the server at, such as http://127.0.0.1:8787 (a wildcard bind,
   * 0.0.0.0 or ::, is reached through loopback).
   */
  readonly url: string;
  /** The address as bound, such as http://0.0.0.0:8787 for every interface: what to tell the operator. */
  readonly boundUrl: string;
  readonly port: number;
  readonly app: LatchApp;
  /** Stops accepting, ends open connections and held webhook requests. Does not close the client. */
  close(): Promise<void>;
}

/**
 * Serves the HTTP API on Node. Binds 127.0.0.1 unless told otherwise.
 * @example
 * const server = await startServer({ client, apiKeys: ["lk_…"], port: 8787 });
 * console.log(server.url); // http://127.0.0.1:8787
 * await server.close();
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(
      "port",
      `${port} is not a port`,
      "Use a whole number from 0 to 65535 (0: any free port).",
    );
  }
  // Before binding: a refused option leaves no server listening.
  if (options.publicUrl !== undefined) checkPublicUrl(options.publicUrl, "publicUrl");
  const shutdown = new AbortController();
  const app = createApp({ ...options, signal: shutdown.signal });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: host }, () => resolve(s));
    s.once("error", reject);
  });
  const bound = (server.address() as AddressInfo).port;
  const url = isWildcardHost(host) ? boundUrl("127.0.0.1", bound) : boundUrl(host, bound);
  options.client.servedAt(options.publicUrl ?? url);
  return {
    url,
    boundUrl: boundUrl(host, bound),
    port: bound,
    app,
    close: () =>
      new Promise<void>((resolve) => {
        shutdown.abort();
        const http = server as import("node:http").Server;
        http.close(() => resolve());
        http.closeAllConnections?.();
      }),
  };
}
