import { Injectable } from '@nestjs/common';
import type { EventRecord } from '@roster/db';
import { ScimError } from '@roster/scim';
import { parseFeedQuery } from '../events/events-feed';
import { EventsService } from '../events/events.service';
import type { ActivityFilters, HistoryView } from './console-events.pages';

/** Events one history or activity page shows. */
export const EVENTS_PAGE = 20;
/** Recent events looked at for the activity page's list of actors, and how many actors it lists. */
const RECENT_FOR_ACTORS = 200;
const RECENT_ACTORS = 12;
const CURSOR = /^[0-9]{1,19}$/;

/** A cursor from a console address, or '' (the newest page) when there is none or it is not one. */
export function consoleCursor(value: unknown): string {
  return typeof value === 'string' && CURSOR.test(value) && BigInt(value) <= 9223372036854775807n ? value : '';
}

/**
 * What the console shows of the change log, read through EventsService (newest first, keyset
 * paging by feed position): a resource's history, and the activity feed with its filters.
 */
@Injectable()
export class ConsoleEvents {
  constructor(private readonly events: EventsService) {}

  async history(resourceId: string, cursor: string, base: string): Promise<HistoryView> {
    const request = parseFeedQuery({ sortOrder: 'descending', count: String(EVENTS_PAGE + 1), cursor }, { resourceId });
    const { records, older } = this.page(await this.events.list(request));
    return {
      records,
      paged: cursor !== '',
      ...(older ? { olderHref: `${base}?${new URLSearchParams({ history: older }).toString()}#history` } : {}),
    };
  }

  /** One page of the feed; a filter the feed refuses (an unknown type) is the ScimError's detail. */
  async activity(filters: ActivityFilters): Promise<{ records: EventRecord[]; older?: string; error?: string }> {
    let request;
    try {
      request = parseFeedQuery({
        sortOrder: 'descending',
        count: String(EVENTS_PAGE + 1),
        cursor: filters.cursor,
        ...(filters.type ? { type: filters.type } : {}),
        ...(filters.actor ? { actor: filters.actor } : {}),
      });
    } catch (error) {
      if (error instanceof ScimError && error.status === 400) {
        return { records: [], error: error.detail };
      }
      throw error;
    }
    return this.page(await this.events.list(request));
  }

  /** The names (or ids) of the actors of recent events, most recent first. */
  async recentActors(): Promise<string[]> {
    const recent = await this.events.list({ after: 9223372036854775807n, limit: RECENT_FOR_ACTORS, descending: true });
    const actors: string[] = [];
    for (const r of recent) {
      const actor = r.actorName ?? r.actorId;
      if (actor && !actors.includes(actor)) {
        actors.push(actor);
        if (actors.length === RECENT_ACTORS) {
          break;
        }
      }
    }
    return actors;
  }

  private page(rows: EventRecord[]): { records: EventRecord[]; older?: string } {
    const records = rows.slice(0, EVENTS_PAGE);
    return rows.length > EVENTS_PAGE ? { records, older: records[records.length - 1].seq.toString() } : { records };
  }
}
