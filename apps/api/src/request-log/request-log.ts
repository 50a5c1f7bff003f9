import type { Principal } from '../auth/principal';

/** Who a request came from, as the console groups requests: one row per connection. */
export interface Connection {
  /**
   * Stable key: `admin`, `api-token:<id>`, `oauth-client:<client id>`, `issuer:<iss>[#<azp>]`,
   * `set-receiver:<id>`, `anonymous`.
   */
  key: string;
  kind: 'admin' | 'api-token' | 'oauth-client' | 'issuer' | 'set-receiver' | 'anonymous';
  /** What the console shows (a token's name, a client id, an issuer). */
  name: string;
}

export const ANONYMOUS: Connection = { key: 'anonymous', kind: 'anonymous', name: 'No valid token' };

/** Longest key, name, path and detail kept (a client's text never grows a row without bound). */
export const MAX_KEY = 300;
export const MAX_PATH = 500;
export const MAX_DETAIL = 500;

const clip = (value: string, max: number): string => (value.length > max ? `${value.slice(0, max - 1)}…` : value);

/** The connection of a request's principal (the guard set it); `anonymous` without one. */
export function connectionOf(principal: Principal | undefined): Connection {
  if (!principal) {
    return ANONYMOUS;
  }
  switch (principal.kind) {
    case 'admin':
      return { key: 'admin', kind: 'admin', name: 'admin token' };
    case 'api-token':
      return {
        key: clip(principal.subject, MAX_KEY),
        kind: 'api-token',
        name: clip(principal.name ?? principal.subject, MAX_KEY),
      };
    case 'access-token': {
      const client = principal.clientId ?? principal.subject;
      return { key: clip(`oauth-client:${client}`, MAX_KEY), kind: 'oauth-client', name: clip(client, MAX_KEY) };
    }
    case 'external-jwt': {
      // subject is `<issuer>#<sub>`: one connection per issuer (and client), not per user.
      const issuer = principal.subject.slice(0, Math.max(0, principal.subject.lastIndexOf('#'))) || principal.subject;
      const name = principal.clientId ? `${issuer} (${principal.clientId})` : issuer;
      return {
        key: clip(`issuer:${issuer}${principal.clientId ? `#${principal.clientId}` : ''}`, MAX_KEY),
        kind: 'issuer',
        name: clip(name, MAX_KEY),
      };
    }
    case 'set-receiver':
      // A SET receiver polling its events (RFC 8936) with its own poll token.
      return {
        key: clip(principal.subject, MAX_KEY),
        kind: 'set-receiver',
        name: clip(principal.name ?? principal.subject, MAX_KEY),
      };
  }
}

/** Pages and probes: requests of people and orchestrators, not of provisioning connections. */
const NOT_API =
  /^\/(console|docs|health|ready|metrics|version|favicon\.ico)(\/|$)|^\/v2\/Login(?!\/Oauth2(\/|$))(\/|$)|^\/\.well-known\//i;

/**
 * Whether a request belongs in the request log: the SCIM API, MCP, the admin API and the token
 * endpoint. The console's own pages, the sign-in pages, the docs, the probes and the landing page
 * (`/` without a token) do not.
 */
export function logged(path: string, principal: Principal | undefined): boolean {
  if (NOT_API.test(path)) {
    return false;
  }
  return principal !== undefined || path !== '/';
}

/** Query parameters whose values say how a list was asked for, never who was looked for. */
const KEPT_VALUES = new Set(['count', 'startindex', 'sortby', 'sortorder', 'attributes', 'excludedattributes']);

/** A SCIM filter with its string literals masked: `userName eq "…"`. An unterminated one is masked to the end. */
export function maskFilter(filter: string): string {
  return filter.replace(/"(?:[^"\\]|\\.)*("|$)/g, '"…"');
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * The path and query of a request as the console shows it: the path as sent, every parameter by
 * name, the values of paging and projection parameters, a filter's structure with its literals
 * masked, and `…` for any other value (cursors, codes, states: nothing that could be a secret or
 * personal data beyond what the administrator already sees). Bounded in length.
 */
export function safePath(url: string): string {
  const start = url.indexOf('?');
  const path = clip(start < 0 ? url : url.slice(0, start), MAX_PATH);
  if (start < 0) {
    return path;
  }
  const params = url
    .slice(start + 1)
    .split('&')
    .filter(Boolean)
    .slice(0, 20)
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = clip(decode(equals < 0 ? pair : pair.slice(0, equals)), 40);
      if (equals < 0) {
        return name;
      }
      const value = decode(pair.slice(equals + 1));
      const lower = name.toLowerCase();
      if (KEPT_VALUES.has(lower)) {
        return `${name}=${clip(value, 100)}`;
      }
      return lower === 'filter' ? `${name}=${clip(maskFilter(value), 200)}` : `${name}=…`;
    });
  return clip(`${path}?${params.join('&')}`, MAX_PATH);
}

/** An error's detail, bounded; control characters (a client's echo) become spaces. */
export function safeDetail(detail: string | undefined): string | null {
  if (!detail) {
    return null;
  }
  // eslint-disable-next-line no-control-regex
  return clip(detail.replace(/[\u0000-\u001f\u007f]/g, ' '), MAX_DETAIL);
}

/** The start of the minute `at` falls in. */
export function minuteOf(at: number): number {
  return at - (at % 60_000);
}
