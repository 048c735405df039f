import type pg from "pg";
import { ClosedError } from "../../errors.js";
import type { Row } from "../rows.js";
import { mapPostgresError, type PostgresTarget } from "./connection.js";

/**
 * How the PostgreSQL store sends its statements through its pool: fixed key lookups as named
 * prepared statements (parsed once per connection), the rest planned with their actual values
 * every time, and every failure as a typed error naming the operation.
 */
export class Statements {
  private readonly names = new Map<string, string>();
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly target: PostgresTarget,
  ) {}

  /**
   * Runs a statement. `planEachTime` (claims, listings): planned with its values every time, so a
   * plan made while the tables were small and had no statistics is never kept.
   * @throws ClosedError after close; StoreConnectionError when the server cannot be reached.
   */
  async run(operation: string, text: string, values: unknown[], planEachTime = false): Promise<Row[]> {
    this.assertOpen(operation);
    let name: string | undefined;
    if (!planEachTime) {
      name = this.names.get(text);
      if (!name) {
        name = `latch_${this.names.size}`;
        this.names.set(text, name);
      }
    }
    try {
      return (await this.pool.query({ name, text, values })).rows;
    } catch (err) {
      throw mapPostgresError(err, this.target, operation);
    }
  }

  assertOpen(operation: string): void {
    if (this.closed) {
      throw new ClosedError(`store: ${operation} was called after the PostgreSQL store was closed`);
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Refuses every later statement (at once) and closes the pool's connections. */
  async close(): Promise<void> {
    this.refuse();
    await this.pool.end();
  }

  /** Refuses every later statement, leaving the pool to `close`. */
  refuse(): void {
    this.closed = true;
  }
}
