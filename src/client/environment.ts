/**
 * The settings Latch takes from the environment. Only the edges read it — createClient,
 * createLatch and the CLI — and hand the values inward as options: nothing under them looks at
 * process.env, so two latches in one process can differ and tests need not touch the environment.
 */
export interface LatchEnvironment {
  /** LATCH_DATABASE_URL: the store when none is given. */
  databaseUrl?: string;
  /** LATCH_PUBLIC_URL: the base of webhook URLs when none is given. */
  publicUrl?: string;
}

/** Reads the variables; an empty one (a blank line in a .env file) counts as unset. */
export function readEnvironment(env: NodeJS.ProcessEnv = process.env): LatchEnvironment {
  const value = (name: string) => env[name]?.trim() || undefined;
  return { databaseUrl: value("LATCH_DATABASE_URL"), publicUrl: value("LATCH_PUBLIC_URL") };
}
