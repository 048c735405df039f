import { LatchError, quoteInput } from "./base.js";

/** A value given to Latch is wrong. `field` names it; the message says how to fix it. */
export class InvalidArgumentError extends LatchError {
  static override readonly code: string = "INVALID_ARGUMENT";
  constructor(
    readonly field: string,
    problem: string,
    fix: string,
  ) {
    super(`${field}: ${problem}. ${fix}`);
  }
  override toData() {
    return { field: this.field };
  }
}

/** A duration such as "7x" could not be read. */
export class InvalidDurationError extends InvalidArgumentError {
  static override readonly code: string = "INVALID_DURATION";
  constructor(field: string, value: unknown) {
    super(
      field,
      `${quoteInput(value)} is not a duration`,
      'Use milliseconds as a number or a string such as "500ms", "90s", "15m", "1h30m", "7d" or "2w".',
    );
  }
}

/** A hook token is empty, too long or has control characters. */
export class InvalidTokenError extends InvalidArgumentError {
  static override readonly code: string = "INVALID_TOKEN";
}

/** A value that must be stored (step result, input, payload, output) is not serialisable. */
export class SerializationError extends InvalidArgumentError {
  static override readonly code: string = "NOT_SERIALIZABLE";
}

/** No workflow of that name is registered with this engine or client. */
export class UnknownWorkflowError extends LatchError {
  static override readonly code: string = "UNKNOWN_WORKFLOW";
  constructor(
    readonly workflow: string,
    known: readonly string[],
  ) {
    super(
      `workflow: no workflow named ${quoteInput(workflow)} is registered. ` +
        (known.length
          ? `Known workflows: ${known.map((k) => JSON.stringify(k)).join(", ")}.`
          : "Pass it to createLatch({ workflows: [...] }).") +
        " Check the name or register the workflow.",
    );
  }
  override toData() {
    return { workflow: this.workflow };
  }
}

/**
 * An option that Latch declares but does not implement yet (a plugin's `triggers` or `nodes`, a
 * workflow's `trigger`). Refused where it is given, so nothing is silently ignored; `field` names it.
 */
export class NotImplementedError extends InvalidArgumentError {
  static override readonly code: string = "NOT_IMPLEMENTED";
}
