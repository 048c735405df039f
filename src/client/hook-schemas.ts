import { InvalidArgumentError } from "../errors.js";
import { isStandardSchema, type StandardSchemaV1 } from "../schema/standard.js";

/** A hook definition as a client takes it: what defineHook() returns, its name and Standard Schema. */
export interface NamedHookSchema {
  readonly name: string;
  readonly schema: StandardSchemaV1;
}

/**
 * The Standard Schemas of the hook definitions one client (or latch) knows, by hook name. Its
 * `resumeHook` checks a payload against its hook's own schema before recording it, so what JSON
 * Schema cannot say (a refinement) is refused at once instead of turned down later by the worker.
 *
 * Filled from the `hookDefinitions` option and, in a latch, by its own runs as they create hooks of
 * a definition. Never process-wide: two clients in one process know only what each was given.
 */
export class HookSchemas {
  private readonly byName = new Map<string, StandardSchemaV1>();
  private known: string[] = [];

  /** @throws InvalidArgumentError naming `hookDefinitions[i]` for anything defineHook() did not make. */
  constructor(definitions: readonly NamedHookSchema[] = []) {
    if (!Array.isArray(definitions)) {
      throw new InvalidArgumentError(
        "hookDefinitions",
        "is not an array",
        "Pass the hook definitions made with defineHook(), such as [approval].",
      );
    }
    for (const [i, d] of definitions.entries()) {
      if (typeof d?.name !== "string" || !isStandardSchema(d.schema)) {
        throw new InvalidArgumentError(
          `hookDefinitions[${i}]`,
          "is not a hook definition",
          'Pass what defineHook() returns, such as defineHook("approval", schema).',
        );
      }
      this.add(d.name, d.schema);
    }
  }

  /** Knows `schema` as the hook `name`'s own (the last definition of a name wins, as in code). */
  add(name: string, schema: StandardSchemaV1): void {
    if (this.byName.get(name) === schema) return;
    this.byName.set(name, schema);
    this.known = [...this.byName.keys()];
  }

  get(name: string | undefined): StandardSchemaV1 | undefined {
    return name === undefined ? undefined : this.byName.get(name);
  }

  /** The hook names checked here: the store asks to validate their payloads (kept, not rebuilt per call). */
  names(): string[] {
    return this.known;
  }
}
