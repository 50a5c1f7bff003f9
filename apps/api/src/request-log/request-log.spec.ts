import type { Principal } from '../auth/principal';
import { connectionOf, logged, maskFilter, MAX_PATH, minuteOf, safeDetail, safePath } from './request-log';

const principal = (p: Partial<Principal> & Pick<Principal, 'kind' | 'subject'>): Principal => ({
  scopes: new Set(),
  resources: new Set(['scim']),
  ...p,
});

describe('request log helpers', () => {
  it.each([
    ['userName eq "bjensen@example.com"', 'userName eq "…"'],
    ['emails[value co "a\\"b" and type eq "work"]', 'emails[value co "…" and type eq "…"]'],
    ['userName eq "unterminated', 'userName eq "…"'],
    ['active eq true and meta.created gt "2020-01-01T00:00:00Z"', 'active eq true and meta.created gt "…"'],
    ['title pr', 'title pr'],
  ])('masks the literals of %s', (filter, masked) => {
    expect(maskFilter(filter)).toBe(masked);
  });

  it.each([
    ['/v2/Users', '/v2/Users'],
    ['/v2/Users?startIndex=1&count=100', '/v2/Users?startIndex=1&count=100'],
    [
      '/v2/Users?filter=userName%20eq%20%22ada%40example.com%22&attributes=userName',
      '/v2/Users?filter=userName eq "…"&attributes=userName',
    ],
    ['/v2/Users?cursor=abc.def&sortBy=userName', '/v2/Users?cursor=…&sortBy=userName'],
    [
      '/v2/Login/Oauth2/Authorize?code_challenge=x&state=y&flag',
      '/v2/Login/Oauth2/Authorize?code_challenge=…&state=…&flag',
    ],
    ['/v2/Users?filter=%E0%A4%A', '/v2/Users?filter=%E0%A4%A'],
  ])('keeps names and safe values of %s', (url, shown) => {
    expect(safePath(url)).toBe(shown);
  });

  it('bounds the path it keeps', () => {
    expect(safePath(`/v2/Users/${'x'.repeat(2000)}`).length).toBe(MAX_PATH);
    expect(safePath(`/v2/Users?${'a=1&'.repeat(1000)}`).length).toBeLessThanOrEqual(MAX_PATH);
  });

  it('bounds a detail and removes control characters', () => {
    expect(safeDetail('a\nb\u0000c')).toBe('a b c');
    expect(safeDetail('x'.repeat(2000))!.length).toBe(500);
    expect(safeDetail(undefined)).toBeNull();
  });

  it('names one connection per token, client and issuer, never per user', () => {
    expect(connectionOf(undefined)).toMatchObject({ key: 'anonymous', kind: 'anonymous' });
    expect(connectionOf(principal({ kind: 'admin', subject: 'admin' }))).toMatchObject({ key: 'admin' });
    expect(connectionOf(principal({ kind: 'api-token', subject: 'api-token:42', name: 'okta' }))).toEqual({
      key: 'api-token:42',
      kind: 'api-token',
      name: 'okta',
    });
    const forUser = connectionOf(
      principal({ kind: 'access-token', subject: 'user-1', clientId: 'claude', userId: 'user-1' }),
    );
    const forOther = connectionOf(
      principal({ kind: 'access-token', subject: 'user-2', clientId: 'claude', userId: 'user-2' }),
    );
    expect(forUser).toEqual({ key: 'oauth-client:claude', kind: 'oauth-client', name: 'claude' });
    expect(forOther).toEqual(forUser);
    expect(
      connectionOf(principal({ kind: 'external-jwt', subject: 'https://login.example.com/t#user-9', clientId: 'app' })),
    ).toEqual({
      key: 'issuer:https://login.example.com/t#app',
      kind: 'issuer',
      name: 'https://login.example.com/t (app)',
    });
  });

  it('logs the API, not the pages, the docs or the probes', () => {
    for (const path of ['/v2/Users', '/v2/mcp', '/admin/tokens', '/v2/Login/Oauth2/Token', '/v2/Bulk']) {
      expect(logged(path, undefined)).toBe(true);
    }
    for (const path of [
      '/',
      '/console/Users',
      '/docs',
      '/docs/openapi.json',
      '/health',
      '/v2/Login',
      '/v2/Login/Assets/roster.css',
      '/.well-known/jwks.json',
    ]) {
      expect(logged(path, undefined)).toBe(false);
    }
    // `/` with a token is a SCIM client reading the ServiceProviderConfig.
    expect(logged('/', principal({ kind: 'admin', subject: 'admin' }))).toBe(true);
    expect(logged('/metrics', principal({ kind: 'admin', subject: 'admin' }))).toBe(false);
  });

  it('puts a time in its minute', () => {
    expect(minuteOf(Date.UTC(2026, 11, 6, 21, 16, 59, 999))).toBe(Date.UTC(2026, 11, 6, 21, 16));
  });
});
