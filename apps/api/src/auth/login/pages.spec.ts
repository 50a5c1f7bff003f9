import { escapeHtml, html, SafeHtml } from './html';
import { formTargetsFor } from './login.controller';
import { consentPage, signInPage } from './pages';
import { readCookie, safeReturnTo } from './session.service';

describe('html: one escaping helper', () => {
  it('escapes every interpolated value, attributes included, unless it is SafeHtml', () => {
    const evil = `"><script>alert('x')</script>&`;
    const out = html`<p title="${evil}">${evil}</p>
      ${new SafeHtml('<b>kept</b>')}${[html`<i>${'<'}</i>`]}`;
    const escaped = '&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;';
    expect(out.value).toContain(`<p title="${escaped}">${escaped}</p>`);
    expect(out.value).toContain('<b>kept</b><i>&lt;</i>');
    expect(out.value).not.toContain('<script>');
    expect(escapeHtml(undefined)).toBe('');
  });

  it('renders client-controlled names and URLs on the pages as text only', () => {
    const name = '<img src=x onerror=alert(1)>';
    const page = consentPage({
      csrf: 'c"srf',
      params: { client_id: 'a"b', redirect_uri: 'https://x.example/cb?a=<b>' },
      clientName: name,
      selfDeclared: true,
      redirectHost: 'x.example',
      scopes: ['scim.read'],
      withheld: [],
      offline: false,
      user: { userName: '<u>' },
      resourceName: 'the MCP endpoint',
    }).value;
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<u>');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('value="c&quot;srf"');
    expect(page).not.toMatch(/<script/i);
    expect(signInPage({ csrf: 'x', returnTo: '/"><script>' }).value).not.toContain('<script>');
  });
});

describe('sessions: cookies and return_to', () => {
  it.each([
    ['/v2/Login/Oauth2/Authorize?client_id=a&state=b', '/v2/Login/Oauth2/Authorize?client_id=a&state=b'],
    ['/admin/console', '/admin/console'],
    ['https://evil.example/', '/v2/Login/SignedIn'],
    ['//evil.example/', '/v2/Login/SignedIn'],
    ['/\\evil.example', '/v2/Login/SignedIn'],
    ['\\\\evil.example', '/v2/Login/SignedIn'],
    ['/ok\nSet-Cookie: x=y', '/v2/Login/SignedIn'],
    ['javascript:alert(1)', '/v2/Login/SignedIn'],
    ['relative/path', '/v2/Login/SignedIn'],
    [42, '/v2/Login/SignedIn'],
  ])('return_to %j becomes %s', (value, expected) => {
    expect(safeReturnTo(value)).toBe(expected);
  });

  it('reads one cookie among several', () => {
    expect(readCookie('a=1; roster_session=abc; b=2', 'roster_session')).toBe('abc');
    expect(readCookie('xroster_session=abc', 'roster_session')).toBeUndefined();
    expect(readCookie(undefined, 'roster_session')).toBeUndefined();
  });

  it('lets sign-in forms go only to the upstream provider and the redirect of the flow', () => {
    const returnTo = `/v2/Login/Oauth2/Authorize?${new URLSearchParams({ redirect_uri: 'https://claude.ai/api/mcp/auth_callback' }).toString()}`;
    expect(formTargetsFor(returnTo, 'https://login.example.com/tenant/v2.0')).toEqual([
      'https://login.example.com',
      'https://claude.ai',
    ]);
    expect(formTargetsFor('/v2/Login/SignedIn', undefined)).toEqual([]);
    expect(formTargetsFor('/x?redirect_uri=javascript:alert(1)', undefined)).toEqual([]);
  });
});
