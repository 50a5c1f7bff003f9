import { html, SafeHtml } from './html';

export const STYLESHEET_PATH = '/v2/Login/Assets/roster.css';

/** The one stylesheet: system fonts, readable on a phone, visible focus, WCAG AA contrast. */
export const STYLESHEET = `:root{color-scheme:light;--fg:#1b1f24;--muted:#4a5360;--bg:#f4f6f8;--card:#fff;--line:#c9d0d8;--accent:#0b5cad;--accent-fg:#fff;--danger:#a4161a}
*{box-sizing:border-box}
html{font-size:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5;color:var(--fg);background:var(--bg)}
main{max-width:30rem;margin:2rem auto;padding:0 1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1.5rem}
h1{font-size:1.5rem;margin:0 0 1rem}
h2{font-size:1.1rem;margin:1.25rem 0 .5rem}
p{margin:.5rem 0}
.muted{color:var(--muted)}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=text],input[type=password]{width:100%;font:inherit;padding:.6rem .7rem;border:1px solid var(--muted);border-radius:.35rem;background:#fff;color:var(--fg)}
button{font:inherit;font-weight:600;padding:.65rem 1.1rem;border-radius:.35rem;border:1px solid var(--accent);background:var(--accent);color:var(--accent-fg);cursor:pointer;min-height:2.75rem}
button.secondary{background:#fff;color:var(--accent)}
button.link{background:none;border:none;color:var(--accent);text-decoration:underline;padding:0;min-height:0;font-weight:400}
:focus-visible{outline:3px solid #f0a500;outline-offset:2px}
.actions{display:flex;gap:.75rem;flex-wrap:wrap;margin-top:1.25rem}
.error{border-left:4px solid var(--danger);padding:.5rem .75rem;background:#fdecec;color:#5c0b0e}
.host{font-size:1.15rem;font-weight:700;word-break:break-all}
ul.scopes{padding-left:1.25rem}
.check{display:flex;gap:.5rem;align-items:center;font-weight:400}
.divider{text-align:center;color:var(--muted);margin:1.25rem 0 .5rem}
footer{margin-top:1rem;font-size:.875rem;color:var(--muted)}
main.wide{max-width:48rem}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.95em;word-break:break-all}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;margin:.5rem 0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
@media (max-width:30rem){dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.5rem}}
ul.links{padding-left:1.25rem}
a{color:var(--accent)}
.state{border-left:4px solid;padding:.5rem .75rem}
.state.ok{border-color:#1a7f37;background:#e9f6ec;color:#0f3d1c}
.state.bad{border-color:var(--danger);background:#fdecec;color:#5c0b0e}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:1}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.console-header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.75rem 1rem;background:var(--card);border-bottom:1px solid var(--line)}
.console-header .brand{font-weight:700;color:var(--fg);text-decoration:none}
.console-header nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.console-header nav a{padding:.25rem 0}
.console-header nav a[aria-current=page]{font-weight:700;text-decoration-thickness:3px}
table.events .event-type{overflow-wrap:normal}
@media (max-width:40rem){table.events thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}table.events tr{display:block;padding:.4rem 0;border-bottom:1px solid var(--line)}table.list.events td{display:block;border:0;padding:.1rem .6rem}table.events .event-type{font-weight:600}}
.console-header .signout{margin-left:auto;display:flex;gap:.5rem;align-items:center}
main.console{max-width:64rem;margin:1.5rem auto;padding:0 1rem}
.searchrow{display:flex;gap:.5rem}
input[type=search]{flex:1;min-width:0;font:inherit;padding:.6rem .7rem;border:1px solid var(--muted);border-radius:.35rem;background:#fff;color:var(--fg)}
table.list{width:100%;border-collapse:collapse;background:var(--card);border:1px solid var(--line)}
table.list th,table.list td{text-align:left;padding:.5rem .6rem;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
.badge.off{color:#5c0b0e;background:#fdecec;border-radius:.25rem;padding:.05rem .4rem;white-space:nowrap}
@media (max-width:30rem){table.list th,table.list td{padding:.45rem .35rem}}
fieldset.plain{border:none;padding:0;margin:1rem 0 0}fieldset.plain legend{font-weight:600}
.created{margin:1rem 0;border-color:var(--accent)}
h3{font-size:1rem;margin:1rem 0 .25rem}
input[readonly]{flex:1;min-width:0;font:inherit;font-family:ui-monospace,monospace;padding:.6rem .7rem;border:1px solid var(--muted);border-radius:.35rem;background:#fff;color:var(--fg)}
button.danger{background:var(--danger);border-color:var(--danger)}
h1.with-logo{display:flex;align-items:center;gap:.75rem}img.group-logo{width:3rem;height:3rem;object-fit:contain;border-radius:.35rem;border:1px solid var(--line);background:#fff}
section.connection{margin:1rem 0;padding:1rem}section.connection h3{margin-top:0}
svg.chart{display:block;width:100%;height:4.5rem;border:1px solid var(--line)}
svg.chart .chart-bg{fill:#fff}svg.chart .req{fill:#6f9fd3}svg.chart .err{fill:var(--danger)}
.chart-axis{display:flex;justify-content:space-between;font-size:.8rem;margin:.2rem 0 .5rem}
.errors-total.bad{color:var(--danger);font-weight:700}
details.counts{margin:.5rem 0}table.errors th,table.errors td.status{overflow-wrap:normal}table.errors code{font-size:.85rem;overflow-wrap:anywhere}
h4{font-size:.95rem;margin:1rem 0 .25rem}.windows a[aria-current]{font-weight:700}
@media (max-width:40rem){table.errors thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}table.errors tr{display:block;padding:.4rem 0;border-bottom:1px solid var(--line)}table.list.errors td{display:block;border:0;padding:.1rem .6rem}}
`;

export function layoutPage(title: string, content: SafeHtml): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${title} · Roster</title>
        <link rel="stylesheet" href="${STYLESHEET_PATH}" />
      </head>
      <body>
        <main>
          <div class="card">${content}</div>
          <footer>Roster directory</footer>
        </main>
      </body>
    </html>`;
}

function hidden(fields: Record<string, string | undefined>): SafeHtml[] {
  return Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`);
}

export interface SignInPage {
  csrf: string;
  returnTo: string;
  userName?: string;
  error?: string;
  /** The upstream identity provider's name, when one is configured. */
  upstream?: string;
  /** Who the sign-in is for, e.g. the client name on the way to a consent page. */
  purpose?: string;
}

export function signInPage(page: SignInPage): SafeHtml {
  return layoutPage(
    'Sign in',
    html`<h1>Sign in to Roster</h1>
      ${page.purpose ? html`<p class="muted">${page.purpose}</p>` : ''}
      ${page.error ? html`<p class="error" role="alert" id="signin-error">${page.error}</p>` : ''}
      <form method="post" action="/v2/Login" novalidate>
        ${hidden({ csrf_token: page.csrf, return_to: page.returnTo })}
        <label for="userName">User name</label>
        <input
          type="text"
          id="userName"
          name="userName"
          autocomplete="username"
          autocapitalize="none"
          spellcheck="false"
          required
          value="${page.userName ?? ''}"
          ${page.error ? html` aria-describedby="signin-error"` : ''}
          autofocus
        />
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required />
        <div class="actions"><button type="submit">Sign in</button></div>
      </form>
      ${
        page.upstream
          ? html`<p class="divider">or</p>
              <form method="post" action="/v2/Login/Oidc">
                ${hidden({ csrf_token: page.csrf, return_to: page.returnTo })}
                <div class="actions">
                  <button type="submit" class="secondary">Sign in with ${page.upstream}</button>
                </div>
              </form>`
          : ''
      }`,
  );
}

export interface ConsentPage {
  csrf: string;
  /** The authorization request's parameters, posted back with the decision. */
  params: Record<string, string | undefined>;
  clientName: string;
  /** Dynamically registered or metadata-document clients name themselves: say so. */
  selfDeclared: boolean;
  redirectHost: string;
  scopes: string[];
  /** Scopes asked for that this user may not grant (shown, so nobody is surprised). */
  withheld: string[];
  offline: boolean;
  user: { userName: string; displayName?: string };
  resourceName: string;
}

const SCOPE_WORDS: Record<string, string> = {
  'scim.read': 'Read users and groups in the directory',
  'scim.write': 'Create, change, deactivate and delete users and groups',
};

export function describeScope(scope: string): string {
  return SCOPE_WORDS[scope] ?? scope;
}

export function consentPage(page: ConsentPage): SafeHtml {
  const who = page.user.displayName ? `${page.user.displayName} (${page.user.userName})` : page.user.userName;
  return layoutPage(
    'Allow access',
    html`<h1>Allow ${page.clientName} to use Roster?</h1>
      ${page.selfDeclared ? html`<p class="muted">This name was given by the application itself; Roster has not verified it.</p>` : ''}
      <p>After you decide, you will be sent to:</p>
      <p class="host" id="redirect-host">${page.redirectHost}</p>
      <h2>It will be able to</h2>
      <ul class="scopes">
        ${page.scopes.map((s) => html`<li>${describeScope(s)} <span class="muted">(${s})</span></li>`)}
        ${page.offline ? html`<li>Keep this access until you or an administrator revoke it</li>` : ''}
      </ul>
      ${
        page.withheld.length
          ? html`<p class="muted">
              Not granted, because your account may not: ${page.withheld.map(describeScope).join('; ')}.
            </p>`
          : ''
      }
      <p class="muted">On: ${page.resourceName}</p>
      <form method="post" action="/v2/Login/Oauth2/Authorize">
        ${hidden({ ...page.params, csrf_token: page.csrf })}
        <label class="check"
          ><input type="checkbox" name="remember" value="yes" checked /> Remember this decision</label
        >
        <div class="actions">
          <button type="submit" name="decision" value="allow">Allow</button>
          <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
        </div>
      </form>
      <h2>Signed in as</h2>
      <p>${who}</p>
      <form method="post" action="/v2/Login/SignOut">
        ${hidden({ csrf_token: page.csrf, return_to: `/v2/Login/Oauth2/Authorize?${new URLSearchParams(Object.entries(page.params).filter((e): e is [string, string] => e[1] !== undefined)).toString()}` })}
        <button type="submit" class="link">Not you? Sign in as someone else</button>
      </form>`,
  );
}

export function messagePage(title: string, message: string, detail?: string): SafeHtml {
  return layoutPage(
    title,
    html`<h1>${title}</h1>
      <p class="error" role="alert">${message}</p>
      ${detail ? html`<p class="muted">${detail}</p>` : ''}`,
  );
}

export function signedOutPage(): SafeHtml {
  return layoutPage(
    'Signed out',
    html`<h1>Signed out</h1>
      <p>You are signed out of Roster.</p>`,
  );
}
