import { InvalidArgumentError } from "../errors.js";
import type { EventRecord } from "../replay/events.js";
import { decodeEvent, type RunEvent } from "../replay/run-event.js";
import type { EventFilter, Page } from "../store/records.js";

/** Which events `eventsPage` reads: `EventFilter` plus the cursor of the previous page. */
export interface EventPageFilter extends EventFilter {
  /** `nextCursor` of the previous page: continue after it (the same as `afterSeq`). */
  cursor?: string;
}

/**
 * A page of a run's log, oldest first — the one shape of `GET /api/runs/{id}/events` and
 * `latch runs logs --json`. `nextCursor` (and `nextAfterSeq`, the same position as a number) is set
 * when more events follow.
 */
export interface EventPage extends Page<RunEvent> {
  nextAfterSeq?: number;
}

/**
 * What to read from the store for a page: the filter with the cursor turned into `afterSeq`, and
 * one event more than asked for, so whether another page follows is known, not guessed.
 * @throws InvalidArgumentError (field "cursor") for a cursor this log never gave out
 */
export function eventPageQuery(filter: EventPageFilter): { read: EventFilter; limit: number | undefined } {
  const { cursor, limit, ...rest } = filter;
  let afterSeq = rest.afterSeq;
  if (cursor !== undefined && cursor !== "") {
    if (!/^\d{1,15}$/.test(cursor)) {
      throw new InvalidArgumentError(
        "cursor",
        `${JSON.stringify(cursor.slice(0, 40))} is not a cursor of this log`,
        "Pass the nextCursor of the previous page as it was given.",
      );
    }
    afterSeq = Math.max(afterSeq ?? 0, Number(cursor));
  }
  return { read: { ...rest, afterSeq, limit: limit === undefined ? undefined : limit + 1 }, limit };
}

/** The page of events read with `eventPageQuery`: values decoded, and the cursor when more follow. */
export function eventPage(events: EventRecord[], limit: number | undefined): EventPage {
  const more = limit !== undefined && events.length > limit;
  const items = (more ? events.slice(0, limit) : events).map(decodeEvent);
  const last = items[items.length - 1];
  return more && last ? { items, nextCursor: String(last.seq), nextAfterSeq: last.seq } : { items };
}
