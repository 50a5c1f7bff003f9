import type { ApiTokenView } from '../auth/api-tokens.service';
import type { ClientView } from '../auth/clients.service';
import { html, SafeHtml } from '../auth/login/html';
import type { GrantView } from '../auth/management/user-grants.service';
import type { SigningKeyView } from '../auth/signing-keys.service';
import { ConsoleFrame, consolePage } from './console.pages';

export interface ConnectionsView {
  scimBaseUrl: string;
  tokens: ApiTokenView[];
  clients: ClientView[];
  grants: GrantView[];
  /** Undefined when the keys cannot be read (no key encryption key: OAuth tokens are off). */
  keys?: SigningKeyView[];
  /** Minutes a retired key stays published after a rotation (the longest token lifetime and margins). */
  keyOverlapMinutes: number;
  /** A token just created: its secret, shown this once. */
  created?: { name: string; token: string };
  error?: string;
  notice?: string;
}

const when = (value: string | null | undefined) =>
  value ? value.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : 'never';

function revokeForm(frame: ConsoleFrame, action: string, label: string): SafeHtml {
  return html`<form method="post" action="${action}">
    <input type="hidden" name="csrf_token" value="${frame.csrf}" />
    <button type="submit" class="secondary" aria-label="${label}">Revoke</button>
  </form>`;
}

function createdPanel(view: ConnectionsView): SafeHtml {
  if (!view.created) {
    return html``;
  }
  return html`<section class="card created" aria-labelledby="created-heading">
    <h2 id="created-heading">Token "${view.created.name}" created</h2>
    <p><strong>Copy it now: Roster keeps only its hash and will not show it again.</strong></p>
    <label for="new-token">Token</label>
    <div class="searchrow">
      <input type="text" id="new-token" readonly value="${view.created.token}" />
      <button type="button" class="secondary" data-copy="new-token">Copy</button>
    </div>
    <h3>Microsoft Entra ID (Provisioning → Admin credentials)</h3>
    <dl class="facts">
      <dt>Tenant URL</dt>
      <dd><code id="entra-tenant-url">${view.scimBaseUrl}</code></dd>
      <dt>Secret Token</dt>
      <dd>the token above</dd>
    </dl>
    <h3>Okta (Provisioning → Integration)</h3>
    <dl class="facts">
      <dt>SCIM connector base URL</dt>
      <dd><code id="okta-base-url">${view.scimBaseUrl}</code></dd>
      <dt>Unique identifier field for users</dt>
      <dd><code>userName</code></dd>
      <dt>Authentication Mode</dt>
      <dd>HTTP Header (Bearer), the token above</dd>
    </dl>
  </section>`;
}

function keysSection(frame: ConsoleFrame, view: ConnectionsView): SafeHtml {
  if (!view.keys) {
    return html`<h2 id="keys-heading">Signing keys</h2>
      <p class="muted">No signing keys: Roster issues no OAuth tokens without ROSTER_KEY_ENCRYPTION_KEY.</p>`;
  }
  return html`<h2 id="keys-heading">Signing keys</h2>
    <p class="muted">
      The keys Roster signs its OAuth access tokens with, published at <code>/.well-known/jwks.json</code>. After a
      rotation the previous key stays published, and its tokens keep working, for ${view.keyOverlapMinutes} minutes:
      until every token it signed has expired.
    </p>
    <table class="list" id="keys">
      <thead>
        <tr>
          <th scope="col">Key id</th>
          <th scope="col">Algorithm</th>
          <th scope="col">Status</th>
          <th scope="col">Created</th>
          <th scope="col">Published until</th>
        </tr>
      </thead>
      <tbody>
        ${view.keys.map(
          (k) =>
            html`<tr data-kid="${k.kid}">
              <td><code>${k.kid}</code></td>
              <td>${k.alg}</td>
              <td class="key-status">
                ${k.status === 'active' ? 'Active: signs new tokens' : 'Retired: verifies only'}
              </td>
              <td>${when(k.created)}</td>
              <td>${k.status === 'active' ? 'while active' : when(k.expires_at)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <form method="post" action="/console/Connections/Keys/Rotate" aria-labelledby="rotate-heading">
      <h3 id="rotate-heading">Rotate the signing key</h3>
      <input type="hidden" name="csrf_token" value="${frame.csrf}" />
      <label class="check"
        ><input type="checkbox" name="confirm" value="yes" required /> Yes, sign new tokens with a new key (tokens
        signed with the current one keep working until they expire)</label
      >
      <div class="actions"><button type="submit" class="danger">Rotate key</button></div>
    </form>`;
}

export function connectionsPage(frame: ConsoleFrame, view: ConnectionsView): SafeHtml {
  return consolePage(
    'Connections',
    frame,
    html`<h1>Connections</h1>
      ${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
      ${view.notice ? html`<p class="state ok" role="status">${view.notice}</p>` : ''} ${createdPanel(view)}
      <h2>API tokens</h2>
      <p class="muted">The secret tokens that Entra ID, Okta and scripts send as <code>Authorization: Bearer</code>.</p>
      ${
        view.tokens.length
          ? html`<table class="list" id="tokens">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Expires</th>
                  <th scope="col"><span class="visually-hidden">Action</span></th>
                </tr>
              </thead>
              <tbody>
                ${view.tokens.map(
                  (t) =>
                    html`<tr>
                      <td>${t.name}</td>
                      <td>${t.scope}${t.mcp ? ' (MCP)' : ''}</td>
                      <td>${when(t.last_used_at)}</td>
                      <td>${t.expires_at ? when(t.expires_at) : 'does not expire'}</td>
                      <td>
                        ${revokeForm(frame, `/console/Connections/Tokens/${t.id}/Revoke`, `Revoke token ${t.name}`)}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="muted">No API tokens.</p>`
      }
      <h3 id="create-heading">Create a token</h3>
      <form method="post" action="/console/Connections/Tokens" aria-labelledby="create-heading">
        <input type="hidden" name="csrf_token" value="${frame.csrf}" />
        <label for="token-name">Name (who will use it)</label>
        <input type="text" id="token-name" name="name" maxlength="200" required placeholder="entra-production" />
        <fieldset class="plain">
          <legend>May</legend>
          <label class="check"
            ><input type="checkbox" name="read" value="yes" checked /> read users and groups (scim.read)</label
          >
          <label class="check"
            ><input type="checkbox" name="write" value="yes" checked /> create, change and delete them
            (scim.write)</label
          >
        </fieldset>
        <div class="actions"><button type="submit">Create token</button></div>
      </form>
      <h2>OAuth clients</h2>
      ${
        view.clients.length
          ? html`<table class="list" id="clients">
              <thead>
                <tr>
                  <th scope="col">Client</th>
                  <th scope="col">Grants</th>
                  <th scope="col">Last used</th>
                  <th scope="col"><span class="visually-hidden">Action</span></th>
                </tr>
              </thead>
              <tbody>
                ${view.clients.map(
                  (c) =>
                    html`<tr>
                      <td>${c.client_name}${c.dynamic ? html` <span class="muted">(self-registered)</span>` : ''}</td>
                      <td>${c.grant_types.join(', ')}</td>
                      <td>${when(c.last_used_at)}</td>
                      <td>
                        ${revokeForm(frame, `/console/Connections/Clients/${c.client_id}/Revoke`, `Revoke client ${c.client_name}`)}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="muted">No OAuth clients.</p>`
      }
      <h2>Access users gave to applications</h2>
      ${
        view.grants.length
          ? html`<table class="list" id="grants">
              <thead>
                <tr>
                  <th scope="col">Application</th>
                  <th scope="col">User</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Last used</th>
                  <th scope="col"><span class="visually-hidden">Action</span></th>
                </tr>
              </thead>
              <tbody>
                ${view.grants.map(
                  (g) =>
                    html`<tr>
                      <td>${g.client_name ?? g.client_id}</td>
                      <td><a href="/console/Users/${g.user_id}">${g.user_id}</a></td>
                      <td>${g.scope} (${g.resource})</td>
                      <td>${when(g.last_used_at)}</td>
                      <td>
                        ${revokeForm(frame, `/console/Connections/Grants/${g.id}/Revoke`, `Revoke access of ${g.client_name ?? g.client_id}`)}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="muted">No application has been given access.</p>`
      }
      ${keysSection(frame, view)}`,
  );
}
