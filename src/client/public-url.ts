import { InvalidArgumentError, quoteInput } from "../errors.js";
import { DEFAULT_PUBLIC_URL, webhookUrl } from "../workflow/webhook.js";

/**
 * Where one client's (or latch's) webhooks are reached from outside: the base of the URLs its runs
 * give out and it shows. The URL it was given (the `publicUrl` option, else LATCH_PUBLIC_URL as read
 * by createLatch / createClient), else the address of a server started on it in this process (as
 * `latch dev` does), else http://127.0.0.1:8787. Per client, never process-wide.
 */
export class PublicUrl {
  private served: string | undefined;

  /**
   * With `field` (where the value came from), `given` must be an http(s) URL.
   * @throws InvalidArgumentError naming `field`
   */
  constructor(
    private readonly given?: string,
    field?: string,
  ) {
    if (given !== undefined && field !== undefined) checkPublicUrl(given, field);
  }

  /** A server in this process serves this client at `url`: its base unless one was given. */
  servedAt(url: string): void {
    this.served = url;
  }

  get base(): string {
    return (this.given ?? this.served ?? DEFAULT_PUBLIC_URL).replace(/\/+$/, "");
  }

  webhookUrl(token: string): string {
    return webhookUrl(this.base, token);
  }
}

/** @throws InvalidArgumentError naming `field` when `value` is not an http(s) URL. */
export function checkPublicUrl(value: string, field: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== "http:" && url?.protocol !== "https:") {
    throw new InvalidArgumentError(
      field,
      `${quoteInput(value)} is not an http(s) URL`,
      "Give the base URL senders reach webhooks at, such as https://hooks.example.com.",
    );
  }
}
