import type { EventRecord } from '@roster/db';
import { html, SafeHtml } from '../auth/login/html';
import { consolePage, ConsoleFrame } from './console.pages';

/** Changed paths one row shows at most (the rest are counted). */
const SHOWN_PATHS = 8;

/** The paths an event changed, as one line: `active, name.givenName, members (3)`. */
export function changedPaths(record: EventRecord): string {
  const changes = (Array.isArray(record.changes) ? record.changes : []) as { path?: unknown; count?: unknown }[];
  const paths = changes
    .filter((c) => typeof c?.path === 'string')
    .map((c) => (typeof c.count === 'number' ? `${String(c.path)} (${c.count})` : String(c.path)));
  const shown = paths.slice(0, SHOWN_PATHS).join(', ');
  return paths.length > SHOWN_PATHS ? `${shown} and ${paths.length - SHOWN_PATHS} more` : shown;
}

function actorCell(record: EventRecord): SafeHtml {
  const name = record.actorName ?? record.actorId ?? '';
  return html`<span class="actor-name">${name}</span>${name ? ' ' : ''}<span class="muted actor-kind"
      >(${record.actorKind})</span
    >`;
}

/** An event type that may break after its dot or underscores (and nowhere else) on a phone. */
function typeCell(type: string): SafeHtml {
  const parts = type.split(/(?<=[._])/);
  return html`${parts.map((p, i) => html`${i ? html`<wbr />` : ''}${p}`)}`;
}

function resourceCell(record: EventRecord): SafeHtml {
  const collection = record.resourceType === 'User' ? 'Users' : record.resourceType === 'Group' ? 'Groups' : undefined;
  return collection && record.type !== `${record.resourceType.toLowerCase()}.deleted`
    ? html`<a href="/console/${collection}/${record.resourceId}">${record.resourceType}</a>
        <span class="muted">${record.resourceId.slice(0, 8)}</span>`
    : html`${record.resourceType} <span class="muted">${record.resourceId}</span>`;
}

/** A table of events, newest first; `withResource` adds the resource column (the activity feed). */
export function eventsTable(records: EventRecord[], id: string, withResource: boolean): SafeHtml {
  return html`<table class="list events" id="${id}">
    <thead>
      <tr>
        <th scope="col">Time (UTC)</th>
        <th scope="col">Event</th>
        ${withResource ? html`<th scope="col">Resource</th>` : ''}
        <th scope="col">By</th>
        <th scope="col">Changed</th>
      </tr>
    </thead>
    <tbody>
      ${records.map(
        (r) =>
          html`<tr data-seq="${r.seq.toString()}">
            <td>
              <time datetime="${r.time.toISOString()}">${r.time.toISOString().replace('T', ' ').slice(0, 19)}</time>
            </td>
            <td class="event-type">${typeCell(r.type)}</td>
            ${withResource ? html`<td>${resourceCell(r)}</td>` : ''}
            <td>${actorCell(r)}</td>
            <td class="paths">${changedPaths(r)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export interface HistoryView {
  records: EventRecord[];
  /** The link to the next older page, when there is one. */
  olderHref?: string;
  paged: boolean;
}

/** A resource's history on its console page: one page of recent events, newest first. */
export function historySection(view: HistoryView): SafeHtml {
  return html`<h2 id="history">History</h2>
    ${
      view.records.length
        ? eventsTable(view.records, 'history-events', false)
        : html`<p class="muted" id="history-empty">${view.paged ? 'No older events.' : 'No events kept.'}</p>`
    }
    <p>
      ${view.paged ? html`<a href="?#history" id="history-newest">Newest</a> ` : ''}
      ${view.olderHref ? html`<a href="${view.olderHref}" rel="next" id="history-older">Older</a>` : ''}
    </p>`;
}

export interface ActivityFilters {
  actor: string;
  type: string;
  cursor: string;
}

export interface ActivityView {
  filters: ActivityFilters;
  records: EventRecord[];
  /** The cursor of the next older page, when the page was full. */
  olderCursor?: string;
  /** Actors of recent events, for the select. */
  actors: string[];
  types: readonly string[];
  error?: string;
}

function activityHref(filters: ActivityFilters, cursor: string): string {
  const query = new URLSearchParams();
  if (filters.actor) query.set('actor', filters.actor);
  if (filters.type) query.set('type', filters.type);
  if (cursor) query.set('cursor', cursor);
  const text = query.toString();
  return `/console/activity${text ? `?${text}` : ''}`;
}

/** The feed's results: what the auto-refresh replaces. */
export function activityResults(view: ActivityView): SafeHtml {
  const summary = view.error ?? `${view.records.length} event${view.records.length === 1 ? '' : 's'} shown`;
  return html`<div id="activity-body" data-summary="${summary}">
    ${
      view.error
        ? html`<p class="error" role="alert">${view.error}</p>`
        : view.records.length
          ? eventsTable(view.records, 'activity-events', true)
          : html`<p class="muted" id="activity-empty">No events match.</p>`
    }
    <p>
      ${view.filters.cursor ? html`<a href="${activityHref(view.filters, '')}" id="activity-newest">Newest</a> ` : ''}
      ${
        view.olderCursor
          ? html`<a href="${activityHref(view.filters, view.olderCursor)}" rel="next" id="activity-older">Older</a>`
          : ''
      }
    </p>
  </div>`;
}

/**
 * The activity page: the requests and errors of each connection (`requests`, see
 * console-requests.pages.ts), then the change feed newest first, filtered by actor and type. On
 * the first page the console script refreshes the feed every few seconds (the same GET, fragment
 * only).
 */
export function activityPage(frame: ConsoleFrame, view: ActivityView, requests?: SafeHtml): SafeHtml {
  const live = !view.filters.cursor && !view.error;
  return consolePage(
    'Activity',
    frame,
    html`<h1>Activity</h1>
      ${requests ?? ''}
      <h2 id="changes">Changes</h2>
      <form method="get" action="/console/activity" id="activity-filters" ${live ? html`data-auto-refresh="5000"` : ''}>
        <div class="filters">
          <label for="actor">Actor (a token's name, a client, a user id)</label>
          <input
            type="text"
            id="actor"
            name="actor"
            value="${view.filters.actor}"
            maxlength="256"
            list="recent-actors"
            autocomplete="off"
            spellcheck="false"
          />
          <datalist id="recent-actors">${view.actors.map((a) => html`<option value="${a}"></option>`)}</datalist>
          <label for="type">Type</label>
          <select id="type" name="type">
            <option value="">Any type</option>
            ${view.types.map(
              (t) => html`<option value="${t}" ${t === view.filters.type ? html`selected` : ''}>${t}</option>`,
            )}
          </select>
          <button type="submit">Show</button>
        </div>
      </form>
      ${
        view.actors.length
          ? html`<p class="muted" id="recent-actor-links">
              Recent actors:
              ${view.actors.map(
                (a, i) =>
                  html`${i ? ', ' : ''}<a href="${activityHref({ actor: a, type: view.filters.type, cursor: '' }, '')}"
                      >${a}</a
                    >`,
              )}
            </p>`
          : ''
      }
      <p class="muted" id="refresh-status" role="status" aria-live="polite">
        ${live ? 'Newest first; new events appear here as they happen.' : 'Newest first.'}
      </p>
      <div id="activity">${activityResults(view)}</div>`,
  );
}
