import { expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.js";
import { PublicUrl } from "./public-url.js";

it("takes the URL it was given over a server's address, and a server's over the default", () => {
  const given = new PublicUrl("https://hooks.example.com/base/", "publicUrl");
  given.servedAt("http://127.0.0.1:4000");
  expect(given.base).toBe("https://hooks.example.com/base");
  expect(given.webhookUrl("whk_a/b")).toBe("https://hooks.example.com/base/webhooks/whk_a%2Fb");

  const served = new PublicUrl();
  expect(served.base).toBe("http://127.0.0.1:8787");
  served.servedAt("http://127.0.0.1:4000");
  expect(served.webhookUrl("t")).toBe("http://127.0.0.1:4000/webhooks/t");
});

it("refuses a given value that is not an http(s) URL, naming where it came from", () => {
  for (const bad of ["hooks.example.com", "ftp://x", ""]) {
    let err: unknown;
    try {
      new PublicUrl(bad, "LATCH_PUBLIC_URL");
    } catch (e) {
      err = e;
    }
    expect(InvalidArgumentError.is(err)).toBe(true);
    expect((err as InvalidArgumentError).field).toBe("LATCH_PUBLIC_URL");
  }
  // Unchecked (a client that only shows URLs): kept as it is.
  expect(new PublicUrl("not a url").base).toBe("not a url");
});
