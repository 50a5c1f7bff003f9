import { html, SafeHtml } from '../auth/login/html';
import { STYLESHEET_PATH } from '../auth/login/pages';
import { CONSOLE_SCRIPT_PATH } from './console.assets';
import { historySection, HistoryView } from './console-events.pages';
import { ListSort, sortParams } from './console-search';

export interface ConsoleFrame {
  csrf: string;
  /** Who is signed in, as the header shows it. */
  who: string;
  section: 'Users' | 'Groups' | 'Connections' | 'Activity' | 'Schemas';
}

/** The console's frame: one stylesheet, one deferred script, navigation, the signed-in user and sign-out. */
export function consolePage(title: string, frame: ConsoleFrame, content: SafeHtml): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${title} · Roster console</title>
        <link rel="stylesheet" href="${STYLESHEET_PATH}" />
        <script src="${CONSOLE_SCRIPT_PATH}" defer></script>
      </head>
      <body>
        <a class="skip" href="#content">Skip to content</a>
        <header class="console-header">
          <a class="brand" href="/console">Roster console</a>
          <nav aria-label="Console">
            <a href="/console/Users" ${frame.section === 'Users' ? html`aria-current="page"` : ''}>Users</a>
            <a href="/console/Groups" ${frame.section === 'Groups' ? html`aria-current="page"` : ''}>Groups</a>
            <a href="/console/Connections" ${frame.section === 'Connections' ? html`aria-current="page"` : ''}
              >Connections</a
            >
            <a href="/console/activity" ${frame.section === 'Activity' ? html`aria-current="page"` : ''}>Activity</a>
            <a href="/console/schemas" ${frame.section === 'Schemas' ? html`aria-current="page"` : ''}>Schemas</a>
          </nav>
          <form method="post" action="/v2/Login/SignOut" class="signout">
            <input type="hidden" name="csrf_token" value="${frame.csrf}" />
            <input type="hidden" name="return_to" value="/v2/Login/SignedOut" />
            <span class="muted" id="signed-in-as">${frame.who}</span>
            <button type="submit" class="link">Sign out</button>
          </form>
        </header>
        <main class="console" id="content">${content}</main>
      </body>
    </html>`;
}

export interface UserRow {
  id: string;
  userName: string;
  displayName?: string;
  active: boolean;
  lastModified?: string;
}

/** One page of a console list, as the search box asked for it. */
export interface SearchList<Row> {
  q: string;
  sort?: ListSort;
  rows: Row[];
  total: number;
  nextCursor?: string;
  error?: string;
}

export type UsersList = SearchList<UserRow>;

/**
 * The part of a list page that search-as-you-type replaces: the count (or the error), the table
 * and the link to the next page, for the users' and the groups' lists alike.
 */
export function searchResults<Row>(
  list: SearchList<Row>,
  table: {
    path: string;
    noun: string;
    /** Column labels; a column with `sortBy` is a link that sorts the list by it (and reverses it). */
    columns: (string | { label: string; sortBy: string })[];
    row: (row: Row) => SafeHtml;
  },
): SafeHtml {
  const summary = list.error ? list.error : `${list.total} ${table.noun}${list.total === 1 ? '' : 's'} found`;
  const next = list.nextCursor
    ? `${table.path}?${new URLSearchParams({ q: list.q, ...sortParams(list.sort), cursor: list.nextCursor }).toString()}`
    : undefined;
  const header = (column: string | { label: string; sortBy: string }) => {
    if (typeof column === 'string') {
      return html`<th scope="col">${column}</th>`;
    }
    const current = list.sort?.by === column.sortBy ? list.sort.order : undefined;
    const order = current === 'ascending' ? 'descending' : 'ascending';
    const href = `${table.path}?${new URLSearchParams({ q: list.q, sortBy: column.sortBy, sortOrder: order }).toString()}`;
    return html`<th scope="col" ${current ? html`aria-sort="${current}"` : ''}>
      <a href="${href}" class="sort" data-sort-by="${column.sortBy}"
        >${column.label}<span aria-hidden="true"
          >${current === 'ascending' ? ' ▲' : current === 'descending' ? ' ▼' : ''}</span
        ><span class="visually-hidden">, sort ${order}</span></a
      >
    </th>`;
  };
  return html`<div id="results-body" data-summary="${summary}">
    ${
      list.error
        ? html`<p class="error" role="alert">${list.error}</p>`
        : html`<p class="muted" id="result-count">${summary}</p>
            <table class="list">
              <thead>
                <tr>
                  ${table.columns.map(header)}
                </tr>
              </thead>
              <tbody>
                ${list.rows.map(
                  (row) =>
                    html`<tr>
                      ${table.row(row)}
                    </tr>`,
                )}
              </tbody>
            </table>
            ${next ? html`<p><a href="${next}" rel="next" id="next-page">Next page</a></p>` : ''}`
    }
  </div>`;
}

export function usersResults(list: UsersList): SafeHtml {
  return searchResults(list, {
    path: '/console/Users',
    noun: 'user',
    columns: [
      { label: 'User name', sortBy: 'userName' },
      { label: 'Display name', sortBy: 'displayName' },
      'Status',
      { label: 'Last modified', sortBy: 'meta.lastModified' },
    ],
    row: (row) =>
      html`<td><a href="/console/Users/${row.id}">${row.userName}</a></td>
        <td>${row.displayName ?? ''}</td>
        <td>${row.active ? 'Active' : html`<span class="badge off">Deactivated</span>`}</td>
        <td class="modified">${shortTime(row.lastModified)}</td>`,
  });
}

/** `2026-12-06 21:16` from an ISO time (the lists' "Last modified"). */
export function shortTime(value: string | undefined): string {
  return value ? value.replace('T', ' ').slice(0, 16) : '';
}

/** The order a list was shown in, kept by the search form (and search as you type). */
export function sortInputs(sort: ListSort | undefined): SafeHtml {
  return sort
    ? html`<input type="hidden" name="sortBy" value="${sort.by}" /><input
          type="hidden"
          name="sortOrder"
          value="${sort.order}"
        />`
    : html``;
}

export function usersPage(frame: ConsoleFrame, list: UsersList): SafeHtml {
  return consolePage(
    'Users',
    frame,
    html`<h1>Users</h1>
      <form method="get" action="/console/Users" role="search" data-live-search>
        ${sortInputs(list.sort)}
        <label for="q">Search by name or e-mail, or a SCIM filter</label>
        <div class="searchrow">
          <input
            type="search"
            id="q"
            name="q"
            value="${list.q}"
            maxlength="500"
            autocomplete="off"
            spellcheck="false"
            aria-describedby="search-hint"
            aria-controls="results"
          />
          <button type="submit">Search</button>
        </div>
        <p class="muted" id="search-hint">
          For example <code>babs</code> or <code>userName sw "b" and active eq true</code>.
        </p>
      </form>
      <p class="visually-hidden" id="search-status" role="status" aria-live="polite"></p>
      <div id="results">${usersResults(list)}</div>`,
  );
}

export interface UserView {
  id: string;
  version: number;
  resource: Record<string, unknown>;
  error?: string;
  notice?: string;
  history: HistoryView;
}

function text(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return value === undefined || value === null ? '' : JSON.stringify(value);
}

export function userPage(frame: ConsoleFrame, view: UserView): SafeHtml {
  const r = view.resource;
  const name = (r.name ?? {}) as Record<string, unknown>;
  const emails = (Array.isArray(r.emails) ? r.emails : []) as Record<string, unknown>[];
  const groups = (Array.isArray(r.groups) ? r.groups : []) as Record<string, unknown>[];
  const meta = (r.meta ?? {}) as Record<string, unknown>;
  const enterprise = (r['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'] ?? {}) as Record<string, unknown>;
  const active = r.active !== false;
  const facts: [string, unknown][] = [
    ['User name', r.userName],
    ['Display name', r.displayName],
    ['Name', name.formatted ?? [name.givenName, name.familyName].filter(Boolean).join(' ')],
    ['E-mail', emails.map((e) => `${text(e.value)}${e.type ? ` (${text(e.type)})` : ''}`).join(', ')],
    ['Title', r.title],
    ['Department', enterprise.department],
    ['External id', r.externalId],
    ['Id', r.id],
    ['Created', meta.created],
    ['Last modified', meta.lastModified],
    ['Version', meta.version],
  ];
  return consolePage(
    text(r.userName),
    frame,
    html`<p><a href="/console/Users">← Users</a></p>
      <h1>${text(r.displayName ?? r.userName)}</h1>
      ${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
      ${view.notice ? html`<p class="state ok" role="status">${view.notice}</p>` : ''}
      <p id="user-status" class="${active ? 'state ok' : 'state bad'}">
        ${active ? 'Active: this user can sign in and is provisioned.' : 'Deactivated: this user cannot sign in.'}
      </p>
      <form method="post" action="/console/Users/${view.id}/Active">
        <input type="hidden" name="csrf_token" value="${frame.csrf}" />
        <input type="hidden" name="version" value="${view.version}" />
        <input type="hidden" name="active" value="${active ? 'false' : 'true'}" />
        <button type="submit" class="${active ? 'danger' : ''}">${active ? 'Deactivate' : 'Reactivate'}</button>
      </form>
      <h2>Attributes</h2>
      <dl class="facts">
        ${facts
          .filter(([, value]) => text(value) !== '')
          .map(
            ([label, value]) =>
              html`<dt>${label}</dt>
                <dd>${text(value)}</dd>`,
          )}
      </dl>
      <h2>Groups</h2>
      ${
        groups.length
          ? html`<table class="list" id="groups">
              <thead>
                <tr>
                  <th scope="col">Group</th>
                  <th scope="col">Membership</th>
                </tr>
              </thead>
              <tbody>
                ${groups.map(
                  (g) =>
                    html`<tr>
                      <td>${text(g.display ?? g.value)}</td>
                      <td>${g.type === 'indirect' ? 'Indirect (through a nested group)' : 'Direct'}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="muted">Not a member of any group.</p>`
      }
      ${historySection(view.history)}`,
  );
}
