import { html, SafeHtml } from '../auth/login/html';
import { ConsoleFrame, consolePage, SearchList, searchResults, shortTime, sortInputs } from './console.pages';
import { historySection, HistoryView } from './console-events.pages';

export interface GroupRow {
  id: string;
  displayName: string;
  lastModified?: string;
}

export type GroupsList = SearchList<GroupRow>;

export function groupsResults(list: GroupsList): SafeHtml {
  return searchResults(list, {
    path: '/console/Groups',
    noun: 'group',
    columns: [
      { label: 'Group', sortBy: 'displayName' },
      { label: 'Last modified', sortBy: 'meta.lastModified' },
    ],
    row: (row) =>
      html`<td><a href="/console/Groups/${row.id}">${row.displayName}</a></td>
        <td class="modified">${shortTime(row.lastModified)}</td>`,
  });
}

export function groupsPage(frame: ConsoleFrame, list: GroupsList): SafeHtml {
  return consolePage(
    'Groups',
    frame,
    html`<h1>Groups</h1>
      <form method="get" action="/console/Groups" role="search" data-live-search>
        ${sortInputs(list.sort)}
        <label for="q">Search by name, or a SCIM filter</label>
        <div class="searchrow">
          <input
            type="search"
            id="q"
            name="q"
            value="${list.q}"
            maxlength="500"
            autocomplete="off"
            aria-controls="results"
          />
          <button type="submit">Search</button>
        </div>
      </form>
      <p class="visually-hidden" id="search-status" role="status" aria-live="polite"></p>
      <div id="results">${groupsResults(list)}</div>`,
  );
}

export interface MemberRowView {
  id: string;
  type: 'User' | 'Group';
  display: string;
}

export interface GroupView {
  id: string;
  version: number;
  displayName: string;
  externalId?: string;
  /** The group has a logo (served to the console at /console/Groups/{id}/Logo). */
  hasLogo?: boolean;
  memberCount: number;
  members: MemberRowView[];
  /** The member id the next page starts after, when there is one. */
  nextAfter?: string;
  /** This page starts after a member: offer the way back to the first page. */
  paged: boolean;
  error?: string;
  notice?: string;
  addUserName?: string;
  history: HistoryView;
}

export function groupPage(frame: ConsoleFrame, view: GroupView): SafeHtml {
  return consolePage(
    view.displayName,
    frame,
    html`<p><a href="/console/Groups">← Groups</a></p>
      <h1 class="${view.hasLogo ? 'with-logo' : ''}">
        ${
          view.hasLogo
            ? html`<img
                class="group-logo"
                id="group-logo"
                src="/console/Groups/${view.id}/Logo?v=${view.version}"
                alt="Logo of ${view.displayName}"
                width="48"
                height="48"
              />`
            : ''
        }
        ${view.displayName}
      </h1>
      ${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
      ${view.notice ? html`<p class="state ok" role="status">${view.notice}</p>` : ''}
      <dl class="facts">
        <dt>Members</dt>
        <dd id="member-count">${view.memberCount}</dd>
        ${
          view.externalId
            ? html`<dt>External id</dt>
                <dd>${view.externalId}</dd>`
            : ''
        }
        <dt>Id</dt>
        <dd>${view.id}</dd>
      </dl>
      <h2 id="add-heading">Add a member</h2>
      <form method="post" action="/console/Groups/${view.id}/Members" aria-labelledby="add-heading">
        <input type="hidden" name="csrf_token" value="${frame.csrf}" />
        <input type="hidden" name="version" value="${view.version}" />
        <label for="userName">User name</label>
        <div class="searchrow">
          <input
            type="text"
            id="userName"
            name="userName"
            value="${view.addUserName ?? ''}"
            maxlength="256"
            autocomplete="off"
            required
          />
          <button type="submit">Add</button>
        </div>
      </form>
      <h2>Members</h2>
      ${
        view.members.length
          ? html`<table class="list" id="members">
              <thead>
                <tr>
                  <th scope="col">Member</th>
                  <th scope="col">Type</th>
                  <th scope="col"><span class="visually-hidden">Action</span></th>
                </tr>
              </thead>
              <tbody>
                ${view.members.map(
                  (m) =>
                    html`<tr>
                      <td>
                        ${m.type === 'User' ? html`<a href="/console/Users/${m.id}">${m.display}</a>` : html`<a href="/console/Groups/${m.id}">${m.display}</a>`}
                      </td>
                      <td>${m.type}</td>
                      <td>
                        <form method="post" action="/console/Groups/${view.id}/Members/Remove">
                          <input type="hidden" name="csrf_token" value="${frame.csrf}" />
                          <input type="hidden" name="version" value="${view.version}" />
                          <input type="hidden" name="member" value="${m.id}" />
                          <button type="submit" class="secondary" aria-label="Remove ${m.display}">Remove</button>
                        </form>
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="muted">No members${view.paged ? ' on this page' : ''}.</p>`
      }
      <p>
        ${view.paged ? html`<a href="/console/Groups/${view.id}">First page</a> ` : ''}
        ${view.nextAfter ? html`<a href="/console/Groups/${view.id}?after=${view.nextAfter}" rel="next" id="next-page">Next page</a>` : ''}
      </p>
      ${historySection(view.history)}`,
  );
}
