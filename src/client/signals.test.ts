import { expect, it } from "vitest";
import type { Store } from "../store/store.js";
import { signalsFor } from "./signals.js";

it("gives every client and worker of one Store object the same doorbells, and other stores their own", () => {
  const a = {} as Store;
  const b = {} as Store;
  expect(signalsFor(a)).toBe(signalsFor(a));
  expect(signalsFor(a)).not.toBe(signalsFor(b));
  const rung: (string | undefined)[] = [];
  signalsFor(a).on("ready", (id) => rung.push(id));
  signalsFor(a).ready("run_1");
  signalsFor(b).ready("run_2");
  let finished = 0;
  signalsFor(a).on("finished:run_1", () => finished++);
  signalsFor(a).finished("run_1");
  expect(rung).toEqual(["run_1"]);
  expect(finished).toBe(1);
});
