import { describe, expect, it } from "vitest";
import { boundUrl, isLoopbackHost, MIN_EXPOSED_KEY_LENGTH, weakKeyWarning } from "./bind.js";

describe("where a server listens", () => {
  it("tells loopback from addresses other machines reach", () => {
    for (const h of ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ["0.0.0.0", "::", "192.168.1.4", "10.0.0.1", "example.com"])
      expect(isLoopbackHost(h)).toBe(false);
  });

  it("prints the address as bound: 0.0.0.0 is not shown as 127.0.0.1", () => {
    expect(boundUrl("0.0.0.0", 8787)).toBe("http://0.0.0.0:8787");
    expect(boundUrl("::", 80)).toBe("http://[::]:80");
    expect(boundUrl("127.0.0.1", 1)).toBe("http://127.0.0.1:1");
  });

  it(`warns when a bind beyond loopback has a key shorter than ${MIN_EXPOSED_KEY_LENGTH} characters`, () => {
    const long = "k".repeat(MIN_EXPOSED_KEY_LENGTH);
    expect(weakKeyWarning("0.0.0.0", ["short"])).toMatch(
      /listens on 0\.0\.0\.0, reachable from other machines, and an API key is shorter than 32 characters.*openssl rand/,
    );
    expect(weakKeyWarning("::", [long, "a", "b"])).toMatch(/2 API keys are shorter/);
    expect(weakKeyWarning("0.0.0.0", [long])).toBeUndefined();
    expect(weakKeyWarning("127.0.0.1", ["short"])).toBeUndefined();
  });
});
