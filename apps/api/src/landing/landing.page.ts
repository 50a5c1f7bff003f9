import { html, SafeHtml } from '../auth/login/html';
import { STYLESHEET_PATH } from '../auth/login/pages';

export interface LandingPage {
  version: string;
  scimBaseUrl: string;
  mcpUrl: string;
  /** The database answered a ping just now. */
  ready: boolean;
  database: string;
  /** Where the administrators' console lives, once it exists. */
  consoleUrl?: string;
}

/** The page a person sees at `/` and `/v2`: what Roster is and where to point things. */
export function landingPage(page: LandingPage): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>Roster directory</title>
        <link rel="stylesheet" href="${STYLESHEET_PATH}" />
      </head>
      <body>
        <main class="wide">
          <div class="card">
            <h1>Roster</h1>
            <p>
              A SCIM 2.0 directory service. Identity providers such as Microsoft Entra ID and Okta provision users and
              groups into it; applications read it; AI assistants use it through MCP.
            </p>
            <h2 id="endpoints">Endpoints</h2>
            <dl class="facts" aria-labelledby="endpoints">
              <dt>SCIM base URL</dt>
              <dd><code id="scim-base-url">${page.scimBaseUrl}</code></dd>
              <dt>MCP URL</dt>
              <dd><code id="mcp-url">${page.mcpUrl}</code></dd>
            </dl>
            <h2 id="links">Links</h2>
            <ul class="links" aria-labelledby="links">
              ${page.consoleUrl ? html`<li><a href="${page.consoleUrl}">Administration console</a></li>` : ''}
              <li><a href="/docs">API documentation</a></li>
              <li><a href="/docs/openapi.json">OpenAPI document (JSON)</a></li>
              <li><a href="/v2/ServiceProviderConfig">ServiceProviderConfig</a></li>
            </ul>
            <h2 id="health">Health</h2>
            <p id="health-state" class="${page.ready ? 'state ok' : 'state bad'}" role="status">
              ${
                page.ready
                  ? `Ready: the database (${page.database}) answers.`
                  : `Not ready: the database (${page.database}) does not answer.`
              }
            </p>
          </div>
          <footer>Roster ${page.version}</footer>
        </main>
      </body>
    </html>`;
}
