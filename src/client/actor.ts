import { InvalidArgumentError } from "../errors.js";
import type { Actor } from "../replay/events.js";

const ID = /^[\w.@:+\-/]{1,128}$/u;

/**
 * Checks an actor given to the API (`"ann"` is shorthand for `{ id: "ann" }`) and returns it in
 * its full form, or undefined when none was given.
 * @throws InvalidArgumentError naming `field`.
 */
export function actorOf(value: Actor | string | undefined, field: string): Actor | undefined {
  if (value === undefined) return undefined;
  const actor = typeof value === "string" ? { id: value } : value;
  if (typeof actor !== "object" || actor === null || typeof actor.id !== "string" || !ID.test(actor.id)) {
    throw new InvalidArgumentError(
      `${field}.id`,
      "must be 1 to 128 letters, digits or . _ @ : + - /",
      'Pass an actor id such as "ann" or { id: "ann", groups: ["sre"] }.',
    );
  }
  const groups = actor.groups;
  if (
    groups !== undefined &&
    (!Array.isArray(groups) || !groups.every((g) => typeof g === "string" && ID.test(g)))
  ) {
    throw new InvalidArgumentError(
      `${field}.groups`,
      "must be a list of group names (1 to 128 letters, digits or . _ @ : + - /)",
      'Pass e.g. { id: "ann", groups: ["sre"] }.',
    );
  }
  return groups?.length ? { id: actor.id, groups: [...groups] } : { id: actor.id };
}
