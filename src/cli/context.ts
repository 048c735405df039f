import { type Client, type ClientOptions, createClient } from "../client/client.js";
import { StoreNotFoundError } from "../errors.js";

/** Options every command takes (set before or after the command name). */
export interface GlobalOptions {
  /** Database URL; default LATCH_DATABASE_URL, else sqlite:.latch/latch.db. */
  db?: string;
  /** One JSON document on stdout instead of tables. */
  json?: boolean;
  /** Make the database if it does not exist (dev and worker always may; the others refuse by default). */
  create?: boolean;
}

/**
 * Opens a client on the chosen database for one command, and always closes it. A database that
 * does not exist is refused (StoreNotFoundError, exit 7) unless --create: only processes that run
 * workflows make one, so a mistyped --db cannot leave an empty database behind and print "No runs."
 */
export async function withClient<T>(opts: GlobalOptions, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await openClient(opts);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** A client for a command that runs no workflow: a missing database is refused, unless --create. */
export async function openClient(
  opts: GlobalOptions,
  more: Pick<ClientOptions, "publicUrl"> = {},
): Promise<Client> {
  try {
    return await createClient({ ...more, store: opts.db, create: Boolean(opts.create) });
  } catch (err) {
    if (!StoreNotFoundError.is(err)) throw err;
    throw new StoreNotFoundError(
      err.path,
      "It is made by the first `latch dev <file>` or `latch worker <file>` on it; to make it now, pass --create.",
    );
  }
}
