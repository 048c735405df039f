import { type Client, createClient } from "../client/client.js";

/** Options every command takes (set before or after the command name). */
export interface GlobalOptions {
  /** Database URL; default LATCH_DATABASE_URL, else sqlite:.latch/latch.db. */
  db?: string;
  /** One JSON document on stdout instead of tables. */
  json?: boolean;
}

/** Opens a client on the chosen database for one command, and always closes it. */
export async function withClient<T>(opts: GlobalOptions, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await createClient({ store: opts.db });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** The `--db` part of a printed command, when the user chose a database explicitly. */
export function dbFlag(opts: GlobalOptions): string {
  return opts.db ? ` --db ${opts.db}` : "";
}
