import { createHash, randomBytes } from 'node:crypto';
import { HttpResponse, TestServer } from './app';

export interface PageResponse {
  status: number;
  headers: Headers;
  text: string;
  location?: string;
}

/** A tiny browser for Roster's pages: a cookie jar, forms posted as a browser posts them, no redirects followed. */
export class PageClient {
  private readonly cookies = new Map<string, string>();

  constructor(
    readonly server: TestServer,
    private readonly headers: Record<string, string> = {},
  ) {}

  async request(method: 'GET' | 'POST', pathOrUrl: string, form?: Record<string, string>): Promise<PageResponse> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.server.baseUrl}${pathOrUrl}`;
    const headers: Record<string, string> = { ...this.headers };
    if (this.cookies.size) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    let body: string | undefined;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    const response = await fetch(url, { method, headers, body, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value && !/Max-Age=0/i.test(cookie)) {
        this.cookies.set(name, value);
      } else {
        this.cookies.delete(name);
      }
    }
    const location = response.headers.get('location') ?? undefined;
    return { status: response.status, headers: response.headers, text: await response.text(), location };
  }

  get = (path: string): Promise<PageResponse> => this.request('GET', path);
  post = (path: string, form: Record<string, string>): Promise<PageResponse> => this.request('POST', path, form);

  /** Follows same-origin redirects until an answer that is a page, or a redirect off Roster. */
  async follow(first: PageResponse): Promise<PageResponse> {
    let current = first;
    for (let hops = 0; hops < 10 && current.location; hops++) {
      const next = new URL(current.location, this.server.baseUrl);
      if (next.origin !== this.server.baseUrl) {
        return current;
      }
      current = await this.get(next.pathname + next.search);
    }
    return current;
  }

  hasSession(): boolean {
    return this.cookies.size > 0;
  }
}

/** The hidden and named fields of the form posting to `action` on a page. */
export function formFields(html: string, action: string): Record<string, string> {
  const start = html.indexOf(`action="${action}"`);
  if (start < 0) {
    throw new Error(`No form posting to ${action} on the page:\n${html.slice(0, 2000)}`);
  }
  const end = html.indexOf('</form>', start);
  const form = html.slice(start, end);
  const fields: Record<string, string> = {};
  for (const match of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\s*\/?>/g)) {
    fields[match[1]] = decodeEntities(match[2]);
  }
  return fields;
}

function decodeEntities(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizePath(params: Record<string, string | undefined>): string {
  const query = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
  return `/v2/Login/Oauth2/Authorize?${query.toString()}`;
}

/** Registers a client at the open registration endpoint. */
export function register(
  server: TestServer,
  metadata: Record<string, unknown>,
  token: string | null = null,
): Promise<HttpResponse> {
  return server.request('POST', '/v2/Login/Oauth2/Register', {
    body: metadata,
    token,
    headers: { 'content-type': 'application/json' },
  });
}

/** Signs in on the sign-in page the flow was sent to; answers the response to the form post. */
export async function signIn(
  browser: PageClient,
  page: PageResponse,
  userName: string,
  password: string,
): Promise<PageResponse> {
  const fields = formFields(page.text, '/v2/Login');
  return browser.post('/v2/Login', { ...fields, userName, password });
}

export interface FlowOptions {
  userName: string;
  password: string;
  decision?: 'allow' | 'deny';
}

/**
 * Drives an authorization request through the real pages: sign-in (when needed), consent,
 * decision. Answers the final redirect to the client (its URL) and the pages seen.
 */
export async function runFlow(
  browser: PageClient,
  params: Record<string, string | undefined>,
  options: FlowOptions,
): Promise<{ redirect: URL; consent?: PageResponse }> {
  let page = await browser.follow(await browser.get(authorizePath(params)));
  if (page.text.includes('action="/v2/Login"') && !page.location) {
    page = await browser.follow(await signIn(browser, page, options.userName, options.password));
  }
  if (page.location) {
    return { redirect: new URL(page.location) };
  }
  const consent = page;
  const fields = formFields(consent.text, '/v2/Login/Oauth2/Authorize');
  const answer = await browser.post('/v2/Login/Oauth2/Authorize', {
    ...fields,
    remember: 'yes',
    decision: options.decision ?? 'allow',
  });
  if (!answer.location) {
    throw new Error(`The consent form did not redirect (${answer.status}):\n${answer.text.slice(0, 1500)}`);
  }
  return { redirect: new URL(answer.location), consent };
}
