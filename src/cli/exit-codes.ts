import { answerOf, EXIT } from "../error-answers.js";
import { InvalidArgumentError, LatchError } from "../errors.js";

/** A command-line problem found by the CLI itself. */
export class UsageError extends InvalidArgumentError {
  static override readonly code: string = "USAGE";
}

/** The user cancelled a prompt or pressed Ctrl-C. */
export class InterruptedError extends LatchError {
  static override readonly code: string = "INTERRUPTED";
}

/** A failure that already carries its exit code (such as a run that ended badly). */
export class ExitError extends LatchError {
  static override readonly code: string = "EXIT";
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The exit code of any thrown value: the CLI's own errors, else the table the HTTP API shares. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof ExitError) return err.exitCode;
  if (InterruptedError.is(err)) return EXIT.INTERRUPTED;
  return answerOf(err).exitCode;
}
