import { redirectUriMatches, redirectUriProblem, s256 } from './redirect-uris';

describe('redirect URIs', () => {
  it.each([
    ['https://claude.ai/api/mcp/auth_callback', undefined],
    ['http://127.0.0.1:33418/callback', undefined],
    ['http://[::1]/cb', undefined],
    ['http://localhost:6274/oauth/callback', undefined],
    ['http://example.com/cb', 'must use https'],
    ['http://127.0.0.1.evil.com/cb', 'must use https'],
    ['https://a.example/cb#frag', 'fragment'],
    ['https://user:pw@a.example/cb', 'user information'],
    ['javascript:alert(1)', 'must use https'],
    ['/relative', 'not an absolute URL'],
  ])('registration of %s', (uri, problem) => {
    const found = redirectUriProblem(uri);
    if (problem === undefined) {
      expect(found).toBeUndefined();
    } else {
      expect(found).toContain(problem);
    }
  });

  it.each([
    ['https://claude.ai/api/mcp/auth_callback', ['https://claude.ai/api/mcp/auth_callback'], true],
    ['https://claude.ai/api/mcp/auth_callback/', ['https://claude.ai/api/mcp/auth_callback'], false],
    ['https://claude.ai.evil.com/api/mcp/auth_callback', ['https://claude.ai/api/mcp/auth_callback'], false],
    ['https://claude.ai/api/mcp/auth_callback?x=1', ['https://claude.ai/api/mcp/auth_callback'], false],
    ['https://CLAUDE.ai/api/mcp/auth_callback', ['https://claude.ai/api/mcp/auth_callback'], false],
    ['http://127.0.0.1:51234/callback', ['http://127.0.0.1/callback'], true],
    ['http://127.0.0.1:51234/callback', ['http://127.0.0.1:8080/callback'], true],
    ['http://localhost:1/callback', ['http://127.0.0.1:8080/callback'], false],
    ['http://127.0.0.1:51234/other', ['http://127.0.0.1:8080/callback'], false],
    ['https://127.0.0.1:51234/callback', ['http://127.0.0.1:8080/callback'], false],
    ['https://a.example:8443/cb', ['https://a.example/cb'], false],
  ])('%s against %j: %s', (requested, registered, expected) => {
    expect(redirectUriMatches(requested, registered)).toBe(expected);
  });

  it('computes the RFC 7636 appendix B example', () => {
    expect(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
});
