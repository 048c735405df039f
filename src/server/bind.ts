/** Keys shorter than this are guessable enough to matter once the server is reachable from other machines. */
export const MIN_EXPOSED_KEY_LENGTH = 32;

/** True for an address only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(h);
}

/** True for the wildcard addresses that bind every interface. */
export function isWildcardHost(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]";
}

/** `http://host:port` as bound (IPv6 in brackets): 0.0.0.0 stays 0.0.0.0, so nobody mistakes it for loopback. */
export function boundUrl(host: string, port: number): string {
  const h = host.replace(/^\[|\]$/g, "");
  return `http://${h.includes(":") ? `[${h}]` : h}:${port}`;
}

/**
 * A warning for a server bound beyond this machine with an API key short enough to guess, or
 * undefined. Loopback binds are not warned about: only local processes can knock.
 * @example weakKeyWarning("0.0.0.0", ["k1"]) // "the server listens on 0.0.0.0 …"
 */
export function weakKeyWarning(host: string, keys: readonly string[]): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  const short = keys.filter((k) => k.length < MIN_EXPOSED_KEY_LENGTH).length;
  if (short === 0) return undefined;
  return (
    `the server listens on ${host}, reachable from other machines, and ${short === 1 ? "an API key is" : `${short} API keys are`} ` +
    `shorter than ${MIN_EXPOSED_KEY_LENGTH} characters. Use long random keys (openssl rand -base64 32), or bind 127.0.0.1 behind a TLS proxy.`
  );
}
