import type { HookRegistration, RunCommit } from "../store/records.js";

/** A registration or a close of a commit, with its place among the commit's hook changes. */
export type HookChange =
  | { kind: "register"; at: number; hook: HookRegistration }
  | { kind: "close"; at: number; hookId: string; status: "expired" | "disposed" };

/**
 * The hook changes of a commit in the order they happened, which is the order of their events:
 * a workflow that disposes a hook and creates another with the same token (a loop or a handoff)
 * frees the token before taking it again, and the store must see the close first; one that takes
 * the token before giving it up must still conflict. `at` is the index of the change's event in
 * `events` (hook.created; hook.disposed or hook.expired); a registration with no event there counts
 * as before every event and a close with none as after them (the order the contract had before
 * events gave one), each in list order, so every `at` is distinct.
 */
export function hookChanges(c: RunCommit): HookChange[] {
  const registers = c.registerHooks ?? [];
  const closes = c.closeHooks ?? [];
  if (registers.length + closes.length === 0) return [];
  const createdAt = new Map<string, number>();
  const closedAt = new Map<string, number>();
  c.events.forEach((e, i) => {
    if (e.type === "hook.created") createdAt.set(e.hookId, i);
    else if (e.type === "hook.disposed" || e.type === "hook.expired") closedAt.set(e.hookId, i);
  });
  const changes: HookChange[] = [
    ...registers.map((hook, i): HookChange => {
      return { kind: "register", at: createdAt.get(hook.hookId) ?? i - registers.length, hook };
    }),
    ...closes.map(
      (h, i): HookChange => ({
        kind: "close",
        at: closedAt.get(h.hookId) ?? c.events.length + i,
        hookId: h.hookId,
        status: h.status,
      }),
    ),
  ];
  return changes.sort((a, b) => a.at - b.at);
}

/**
 * The custom-token registrations of a commit that another hook holds when they come (as
 * `token_taken` lists them), given `holderOf` (the live hook holding a token in the store before
 * the commit). A token is free for a registration when no hook holds it, or the hook holding it
 * was closed earlier in the same commit — a hook of another run never is. A registration the
 * commit makes holds its token from then on, so the same token twice with no close between is
 * refused the second time. Generated tokens (`<runId>:<hookId>`) are unique by construction and
 * not looked at.
 */
export function takenTokens(
  runId: string,
  changes: HookChange[],
  holderOf: (token: string) => string | undefined,
): string[] {
  const taken: string[] = [];
  const closed = new Set<string>();
  const held = new Map<string, string>();
  for (const ch of changes) {
    if (ch.kind === "close") {
      closed.add(ch.hookId);
      continue;
    }
    const { hookId, token } = ch.hook;
    if (token === `${runId}:${hookId}`) continue;
    const holder = held.has(token) ? held.get(token) : holderOf(token);
    if (holder !== undefined && !closed.has(holder)) taken.push(hookId);
    else held.set(token, hookId);
  }
  return taken;
}
