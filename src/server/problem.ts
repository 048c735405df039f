import { answerOf } from "../error-answers.js";
import { InvalidArgumentError, LatchError, PayloadValidationError } from "../errors.js";

/** An RFC 9457 problem document, as every error of the HTTP API is answered. */
export interface Problem {
  /** `urn:latch:error:<CODE>`: stable, one per error code. */
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The typed error's stable code, such as "HOOK_NOT_FOUND" (the same as `err.code` in code). */
  code: string;
  instance?: string;
  /** PAYLOAD_INVALID: every problem found in the payload. */
  issues?: { path: string; message: string }[];
  /** With `issues`: true when the payload was recorded and then turned down by the run's worker. */
  recorded?: boolean;
  /** INVALID_ARGUMENT and its kinds: the field at fault. */
  field?: string;
}

/** An error raised by the HTTP layer itself, with its status. */
export class HttpError extends LatchError {
  static override readonly code: string = "HTTP_ERROR";
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  409: "Conflict",
  410: "Gone",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  500: "Internal Server Error",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/**
 * The HTTP status of any thrown value: the HTTP layer's own errors, else the table the CLI shares
 * (bad input 400, unknown ids 404, a taken token or a reused idempotency key 409, a hook that takes
 * no more payloads 410, a payload or workflow name that does not fit 422, the store down 503).
 */
export function statusOf(err: unknown): number {
  return err instanceof HttpError ? err.status : answerOf(err).status;
}

/**
 * Who reads the answer. "operator": an API caller holding a key — the detail names the field and
 * the fix, including `latch …` commands. "public": a webhook sender or an unauthenticated probe
 * (/healthz, /metrics) — a third party gets the code and a generic detail, never an operator hint
 * or the server's file paths (those go to the log).
 */
export type Audience = "operator" | "public";

/** What a third party is told for each status when the error was not written for them. */
const PUBLIC_DETAILS: Record<number, string> = {
  400: "The request is not valid.",
  404: "Nothing is found at this URL.",
  409: "The request conflicts with the current state.",
  410: "This URL no longer accepts requests.",
  422: "The request could not be processed.",
  503: "The service is unavailable; try again later.",
};

/** The request path repeated in `instance`: whole for a generated token's route, cut for a 5,000-character one. */
const INSTANCE_MAX = 128;
/** Issue paths repeat the sender's field names. */
const ISSUE_PATH_MAX = 200;

/** Builds the problem document of any thrown value; internal errors keep their details to the log. */
export function toProblem(err: unknown, instance?: string, audience: Audience = "operator"): Problem {
  const status = statusOf(err);
  const code =
    err instanceof HttpError ? err.errorCode : status === 500 ? "INTERNAL" : (err as LatchError).code;
  let detail =
    status === 500 ? "The server failed to handle the request; see its log." : (err as Error).message;
  // HttpErrors of the public routes are written for their callers; anything else may carry hints for
  // the operator (commands, paths) and is replaced.
  if (audience === "public" && status !== 500 && !(err instanceof HttpError))
    detail = PUBLIC_DETAILS[status] ?? "The request could not be handled.";
  const problem: Problem = {
    type: `urn:latch:error:${code}`,
    title: TITLES[status] ?? "Error",
    status,
    detail,
    code,
  };
  if (instance) problem.instance = cut(instance, INSTANCE_MAX);
  if (audience === "public") return problem;
  if (PayloadValidationError.is(err)) {
    problem.issues = err.issues.map((i) => ({ ...i, path: cut(i.path, ISSUE_PATH_MAX) }));
    // True when the worker turned it down after it was recorded (hook.rejected; the hook waits on).
    problem.recorded = err.recorded === true;
  }
  if (InvalidArgumentError.is(err)) problem.field = cut(err.field, ISSUE_PATH_MAX);
  return problem;
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The Response carrying a problem document. */
export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}
