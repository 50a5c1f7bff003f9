import type { RequestLogErrorRecord, RequestLogMinuteRow } from '@roster/db';
import { html, SafeHtml } from '../auth/login/html';
import type { ConnectionActivity, RequestLogOverview } from '../request-log/request-log.service';

/** The windows the page offers, in hours. */
export const WINDOWS = [1, 6, 24] as const;
export const DEFAULT_WINDOW = 6;

export interface RequestsView {
  overview: RequestLogOverview;
  hours: number;
  /** The one connection shown (its key), when the page was opened for one. */
  connection?: string;
  /** Client ids to the names they registered, for OAuth clients. */
  clientNames: Map<string, string>;
  enabled: boolean;
}

const KIND_LABEL: Record<string, string> = {
  admin: 'admin token',
  'api-token': 'API token',
  'oauth-client': 'OAuth client',
  issuer: 'trusted issuer',
  'set-receiver': 'SET receiver',
  anonymous: 'no valid credential',
};

const CHART_HEIGHT = 40;

function stamp(date: Date): string {
  return date.toISOString().replace('T', ' ').slice(0, 16);
}

export function requestsHref(params: { hours: number; connection?: string; before?: bigint }): string {
  const query = new URLSearchParams();
  if (params.hours !== DEFAULT_WINDOW) query.set('hours', String(params.hours));
  if (params.connection !== undefined) query.set('connection', params.connection);
  if (params.before !== undefined) query.set('errors_before', params.before.toString());
  const text = query.toString();
  return `/console/activity${text ? `?${text}` : ''}#requests`;
}

function displayName(c: ConnectionActivity, names: Map<string, string>): string {
  return c.kind === 'oauth-client' ? (names.get(c.name) ?? c.name) : c.name;
}

/** The actor filter of the change feed that finds this connection's changes. */
function actorOf(c: ConnectionActivity): string | undefined {
  switch (c.kind) {
    case 'admin':
      return 'admin token';
    case 'api-token':
    case 'oauth-client':
      return c.name;
    default:
      return undefined;
  }
}

/**
 * Requests (bars) and errors (red, over them) per minute, one bar per minute of the window, as a
 * server-rendered SVG: no script, nothing the CSP must allow. Colours come from the stylesheet.
 */
export function chart(minutes: RequestLogMinuteRow[], since: Date, until: Date, label: string, id: string): SafeHtml {
  const slots = Math.round((until.getTime() - since.getTime()) / 60_000) + 1;
  const peak = Math.max(1, ...minutes.map((m) => m.requests));
  const bar = (m: RequestLogMinuteRow, value: number, cls: string) => {
    const x = Math.round((m.minute.getTime() - since.getTime()) / 60_000);
    const h = Math.max(value > 0 ? 1 : 0, Math.round((value / peak) * CHART_HEIGHT * 10) / 10);
    return html`<rect class="${cls}" x="${x}" y="${CHART_HEIGHT - h}" width="1" height="${h}"></rect>`;
  };
  return html`<svg
    class="chart"
    id="${id}"
    viewBox="0 0 ${slots} ${CHART_HEIGHT}"
    preserveAspectRatio="none"
    role="img"
    aria-labelledby="${id}-title"
  >
    <title id="${id}-title">${label}</title>
    <rect class="chart-bg" x="0" y="0" width="${slots}" height="${CHART_HEIGHT}"></rect>
    ${minutes.filter((m) => m.requests > 0).map((m) => bar(m, m.requests, 'req'))}
    ${minutes.filter((m) => m.errors > 0).map((m) => bar(m, m.errors, 'err'))}
  </svg>`;
}

/** The chart's text alternative: every minute with requests, newest first. */
function countsTable(minutes: RequestLogMinuteRow[], id: string): SafeHtml {
  const rows = minutes.filter((m) => m.requests > 0).reverse();
  return html`<details class="counts">
    <summary>Counts per minute (table)</summary>
    ${
      rows.length
        ? html`<table class="list counts-table" id="${id}">
            <thead>
              <tr>
                <th scope="col">Minute (UTC)</th>
                <th scope="col">Requests</th>
                <th scope="col">Errors</th>
              </tr>
            </thead>
            <tbody>
              ${rows.map(
                (m) =>
                  html`<tr>
                    <td><time datetime="${m.minute.toISOString()}">${stamp(m.minute)}</time></td>
                    <td>${m.requests}</td>
                    <td>${m.errors}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">No requests in this window.</p>`
    }
  </details>`;
}

function errorsTable(errors: RequestLogErrorRecord[], id: string): SafeHtml {
  return html`<table class="list errors" id="${id}">
    <thead>
      <tr>
        <th scope="col">Time (UTC)</th>
        <th scope="col">Request</th>
        <th scope="col">Status</th>
        <th scope="col">scimType</th>
        <th scope="col">Detail</th>
        <th scope="col">Request id</th>
      </tr>
    </thead>
    <tbody>
      ${errors.map(
        (e) =>
          html`<tr data-request-id="${e.requestId}">
            <td>
              <time datetime="${e.time.toISOString()}">${e.time.toISOString().replace('T', ' ').slice(0, 19)}</time>
            </td>
            <td class="request"><code>${e.method} ${e.path}</code></td>
            <td class="status">${e.status}</td>
            <td class="scim-type">${e.scimType ?? ''}</td>
            <td class="detail">${e.detail ?? ''}</td>
            <td class="request-id"><code>${e.requestId}</code></td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function connectionSection(c: ConnectionActivity, view: RequestsView, index: number): SafeHtml {
  const name = displayName(c, view.clientNames);
  const { since, until } = view.overview;
  const label = `Requests and errors per minute of ${name}, ${stamp(since)} to ${stamp(until)} UTC: ${c.requests} requests, ${c.errors} errors.`;
  const actor = actorOf(c);
  const single = view.connection !== undefined;
  return html`<section class="card connection" data-connection="${c.connection}" aria-labelledby="conn-${index}">
    <h3 id="conn-${index}">
      <span class="connection-name">${name}</span> <span class="muted">(${KIND_LABEL[c.kind] ?? c.kind})</span>
    </h3>
    <p class="totals">
      <span class="requests-total">${c.requests}</span> requests,
      <span class="errors-total ${c.errors ? 'bad' : ''}">${c.errors}</span> errors in the last ${view.hours}
      hour${view.hours === 1 ? '' : 's'}; last seen
      <time datetime="${c.lastSeen.toISOString()}">${stamp(c.lastSeen)}</time>
      UTC.
    </p>
    ${chart(c.minutes, since, until, label, `chart-${index}`)}
    <p class="chart-axis muted" aria-hidden="true"><span>${stamp(since)}</span><span>${stamp(until)} UTC</span></p>
    ${countsTable(c.minutes, `counts-${index}`)}
    <h4>${single ? 'Errors' : 'Latest errors'}</h4>
    ${
      c.recentErrors.length
        ? errorsTable(c.recentErrors, `errors-${index}`)
        : html`<p class="muted">
            No errors${view.connection !== undefined && view.overview.connections.length ? ' kept' : ''} in this window.
          </p>`
    }
    <p class="connection-links">
      ${
        single
          ? c.olderErrors !== undefined
            ? html`<a
                href="${requestsHref({ hours: view.hours, connection: c.connection, before: c.olderErrors })}"
                rel="next"
                id="older-errors"
                >Older errors</a
              >`
            : ''
          : html`<a href="${requestsHref({ hours: view.hours, connection: c.connection })}">All errors of ${name}</a>`
      }
      ${actor ? html` · <a href="/console/activity?${new URLSearchParams({ actor }).toString()}">Changes by ${name}</a>` : ''}
    </p>
  </section>`;
}

/**
 * The activity page's "Requests by connection": per connection (API token, OAuth client, admin
 * token, trusted issuer, or no valid credential), a chart of requests and errors per minute with
 * its table, and the SCIM errors it received.
 */
export function requestsSection(view: RequestsView): SafeHtml {
  const { overview } = view;
  return html`<section id="requests" aria-labelledby="requests-heading">
    <h2 id="requests-heading">Requests by connection</h2>
    ${
      view.enabled
        ? ''
        : html`<p class="muted">The request log is off (REQUEST_LOG_ENABLED=false); what is shown is what it kept.</p>`
    }
    <p class="windows">
      Last
      ${WINDOWS.map(
        (h, i) =>
          html`${i ? ' · ' : ''}<a
              href="${requestsHref({ hours: h, connection: view.connection })}"
              ${h === view.hours ? html`aria-current="true"` : ''}
              >${h} hour${h === 1 ? '' : 's'}</a
            >`,
      )}
      ${view.connection !== undefined ? html` · <a href="${requestsHref({ hours: view.hours })}">All connections</a>` : ''}
    </p>
    <p class="muted">
      Counted on every instance and written every few seconds. Errors keep the path, the parameter names and the paging
      values; filter values are masked.
    </p>
    ${
      overview.connections.length
        ? overview.connections.map((c, i) => connectionSection(c, view, i))
        : html`<p class="muted" id="requests-empty">No requests in this window.</p>`
    }
    ${overview.more ? html`<p class="muted">Only the 20 connections with the most errors are shown.</p>` : ''}
  </section>`;
}
