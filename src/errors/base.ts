/**
 * Every error Latch throws on purpose. Each class has a stable string `code`, a `name` equal to the
 * class name, and a message that names the field at fault and the fix.
 *
 * `X.is(err)` matches instances of X and of its subclasses, also across module copies (two installs
 * of latch in one process, or an error rebuilt from the event log), by the codes carried on the error.
 *
 * @example
 * try { await latch.resumeHook(token, payload); }
 * catch (err) { if (HookExpiredError.is(err)) console.log("too late"); }
 */

/** Where an error carries its codes (a symbol shared by every copy of latch in the process). */
export const CODES = Symbol.for("latch.error.codes");

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  data?: Record<string, unknown>;
  cause?: SerializedError;
}

/** How many characters of a value given by a user an error message repeats back. */
export const ECHO_MAX = 64;

/**
 * A user's value quoted for an error message, cut to `max` characters ("…" marks the cut): enough
 * to recognise it, never a 5,000-character token sent back whole (messages reach HTTP answers).
 */
export function quoteInput(value: unknown, max = ECHO_MAX): string {
  const cut = (text: string) => (text.length > max ? `${text.slice(0, max)}…` : text);
  return typeof value === "string" ? JSON.stringify(cut(value)) : cut(safeString(value));
}

export class LatchError extends Error {
  static readonly code: string = "LATCH_ERROR";
  readonly code: string;
  declare readonly [CODES]: readonly string[];

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    const ctor = new.target as unknown as { code: string; name: string };
    this.name = ctor.name;
    this.code = ctor.code;
    const codes: string[] = [];
    for (let c: any = new.target; c && c !== Error; c = Object.getPrototypeOf(c)) {
      if (typeof c.code === "string") codes.push(c.code);
    }
    Object.defineProperty(this, CODES, { value: codes, enumerable: false });
  }

  /** True when `err` is this class or a subclass of it, even from another copy of latch. */
  static is<T extends abstract new (...args: any) => any>(this: T, err: unknown): err is InstanceType<T> {
    // `this` is the class is() was called on (FatalError.is), which is the point of the method.
    // biome-ignore lint/complexity/noThisInStatic: subclasses inherit is() and must match themselves
    const cls = this as unknown as { code: string; [Symbol.hasInstance](v: unknown): boolean };
    if (err instanceof (cls as unknown as T)) return true;
    return errorCodes(err).includes(cls.code);
  }

  /** Extra fields kept when the error is written to the event log. */
  toData(): Record<string, unknown> | undefined {
    return undefined;
  }
}

/**
 * The codes an error carries, its own first, then its parent classes' (`["STORE_NOT_FOUND",
 * "STORE_UNAVAILABLE", "STORE_ERROR", "LATCH_ERROR"]`); none for anything but a LatchError.
 */
export function errorCodes(err: unknown): readonly string[] {
  const codes = (err as { [CODES]?: unknown } | null)?.[CODES];
  return Array.isArray(codes) ? codes : [];
}

/** A value as text for a message, whatever it is. */
export function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
