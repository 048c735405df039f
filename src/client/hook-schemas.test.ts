import { expect, it } from "vitest";
import { z } from "zod";
import { InvalidArgumentError } from "../errors.js";
import { defineHook } from "../workflow/hook.js";
import { HookSchemas } from "./hook-schemas.js";

const approval = defineHook("approval", z.object({ approved: z.boolean() }));

it("knows the definitions it was given, and those added later, by name", () => {
  const schemas = new HookSchemas([approval]);
  expect(schemas.get("approval")).toBe(approval.schema);
  expect(schemas.get("other")).toBeUndefined();
  expect(schemas.get(undefined)).toBeUndefined();
  const other = z.string();
  schemas.add("other", other);
  expect(schemas.get("other")).toBe(other);
  expect(schemas.names()).toEqual(["approval", "other"]);
});

it("keeps its list of names until a new schema comes (one array for every resume)", () => {
  const schemas = new HookSchemas([approval]);
  const names = schemas.names();
  schemas.add("approval", approval.schema);
  expect(schemas.names()).toBe(names);
  const again = z.object({ approved: z.literal(true) });
  schemas.add("approval", again);
  expect(schemas.get("approval")).toBe(again);
  expect(schemas.names()).toEqual(["approval"]);
});

it("is its own per instance: nothing defined elsewhere in the process leaks in", () => {
  defineHook("defined_elsewhere", z.number());
  expect(new HookSchemas().names()).toEqual([]);
});

it("refuses what defineHook did not make, naming the entry", () => {
  const err = (() => {
    try {
      new HookSchemas([approval, { name: "x", schema: {} } as never]);
    } catch (e) {
      return e;
    }
  })();
  expect(InvalidArgumentError.is(err)).toBe(true);
  expect((err as InvalidArgumentError).field).toBe("hookDefinitions[1]");
  expect(() => new HookSchemas("approval" as never)).toThrow(/hookDefinitions: is not an array/);
});
