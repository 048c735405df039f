import { InvalidTokenError } from "../errors.js";

export const MAX_TOKEN_LENGTH = 256;

/**
 * Checks a hook token given by a user: not empty, at most 256 characters, no control characters.
 * @throws InvalidTokenError naming the field and the fix.
 */
export function checkToken(token: unknown, field = "token"): asserts token is string {
  if (typeof token !== "string" || token.length === 0) {
    throw new InvalidTokenError(
      field,
      token === "" ? "is empty" : "is not a string",
      "Pass the hook's token, a non-empty string.",
    );
  }
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new InvalidTokenError(
      field,
      `is ${token.length} characters long`,
      `Use at most ${MAX_TOKEN_LENGTH} characters.`,
    );
  }
  if (/\p{Cc}/u.test(token)) {
    throw new InvalidTokenError(field, "contains control characters", "Use printable characters only.");
  }
}

/** Default tokens are `<runId>:<hookId>`; anything else was chosen by the workflow. */
export function isDefaultToken(token: string): boolean {
  return /^run_[0-9A-Z]{26}:hook_[0-9A-Z]{26}$/.test(token);
}
