import { InvalidArgumentError } from "../errors.js";

/** Keyset cursors shared by every store: opaque to callers, (createdAt, id) inside. */
export function encodeCursor(at: number, id: string): string {
  return Buffer.from(`${at}:${id}`).toString("base64url");
}

export function decodeCursor(cursor: string | undefined): { at: number; id: string } | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  const text = Buffer.from(cursor, "base64url").toString();
  const i = text.indexOf(":");
  const at = Number(text.slice(0, i));
  if (i < 1 || !Number.isFinite(at)) {
    throw new InvalidArgumentError(
      "cursor",
      "is not a cursor this store gave out",
      "Pass the nextCursor of the previous page, or omit it.",
    );
  }
  return { at, id: text.slice(i + 1) };
}

export const MAX_PAGE = 1000;

export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new InvalidArgumentError(
      "limit",
      `${limit} is out of range`,
      `Use a whole number from 1 to ${MAX_PAGE}.`,
    );
  }
  return limit;
}
