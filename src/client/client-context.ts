import type { LatchEnvironment } from "./environment.js";
import { HookSchemas, type NamedHookSchema } from "./hook-schemas.js";
import { PublicUrl } from "./public-url.js";

/** What a client knows beyond its store, settled at the edge (createClient, createLatch). */
export interface ClientContext {
  /** The hook definitions whose own schema checks payloads here. */
  hookSchemas: HookSchemas;
  /** Where its webhooks are reached. */
  publicUrl: PublicUrl;
}

/**
 * The context of a client being made: the options given, else the environment. A latch gives its
 * public URL out in webhooks, so a malformed one is refused, naming where it came from; a client
 * only shows it, so LATCH_PUBLIC_URL is taken as it is there (a read command must not fail on it).
 * @throws InvalidArgumentError naming `publicUrl`, LATCH_PUBLIC_URL or `hookDefinitions[i]`
 */
export function clientContext(
  options: { hookDefinitions?: readonly NamedHookSchema[]; publicUrl?: string },
  env: Pick<LatchEnvironment, "publicUrl">,
  role: "latch" | "client",
): ClientContext {
  const given = options.publicUrl !== undefined;
  const from = given ? "publicUrl" : role === "latch" ? "LATCH_PUBLIC_URL" : undefined;
  return {
    hookSchemas: new HookSchemas(options.hookDefinitions),
    publicUrl: new PublicUrl(options.publicUrl ?? env.publicUrl, from),
  };
}
