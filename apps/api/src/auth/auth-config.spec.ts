import { ConfigError, loadConfig } from '../config';
import { isAcceptableJwksUrl, parseTrustedIssuers } from './auth-config';

const ENTRA = {
  issuer: 'https://login.microsoftonline.com/tenant/v2.0',
  jwksUri: 'https://login.microsoftonline.com/tenant/discovery/v2.0/keys',
  audience: 'api://roster',
  scopeClaim: 'roles',
  scopeMap: { 'Directory.Read': 'scim.read', 'Directory.Write': 'scim.read scim.write' },
};

describe('parseTrustedIssuers', () => {
  it('reads a JSON array with defaults for resources and algorithms', () => {
    const { issuers, problems } = parseTrustedIssuers(JSON.stringify([ENTRA]));
    expect(problems).toEqual([]);
    expect(issuers).toEqual([
      {
        ...ENTRA,
        audience: ['api://roster'],
        resources: ['scim'],
        algorithms: ['RS256', 'ES256'],
        maxTokenLifetime: 86400,
        idJag: false,
        subjectClaim: undefined,
      },
    ]);
  });

  it('lets an issuer trusted for ID-JAGs only go without an audience, and caps token lifetimes', () => {
    const { issuers, problems } = parseTrustedIssuers(
      JSON.stringify([
        {
          issuer: 'https://idp.example.com',
          jwksUri: 'https://idp.example.com/keys',
          idJag: true,
          maxTokenLifetime: 600,
        },
      ]),
    );
    expect(problems).toEqual([]);
    expect(issuers[0]).toMatchObject({ audience: [], idJag: true, maxTokenLifetime: 600 });
    expect(
      parseTrustedIssuers('[{"issuer":"i","jwksUri":"https://x","audience":"a","maxTokenLifetime":5}]').problems.join(),
    ).toContain('maxTokenLifetime');
    expect(parseTrustedIssuers('[{"issuer":"i","jwksUri":"https://x"}]').problems.join()).toContain('[0].audience');
  });

  it('is empty when unset', () => {
    expect(parseTrustedIssuers(undefined)).toEqual({ issuers: [], problems: [] });
  });

  it.each([
    ['not json', 'is not valid JSON'],
    ['{}', 'must be a JSON array'],
    ['[{"issuer":"","jwksUri":"https://x","audience":"a"}]', '[0].issuer'],
    ['[{"issuer":"i","jwksUri":"http://evil.example.com/keys","audience":"a"}]', '[0].jwksUri'],
    ['[{"issuer":"i","jwksUri":"https://x","audience":[]}]', '[0].audience'],
    ['[{"issuer":"i","jwksUri":"https://x","audience":"a","scopeMap":{"r":"root"}}]', '[0].scopeMap'],
    ['[{"issuer":"i","jwksUri":"https://x","audience":"a","resources":["ftp"]}]', '[0].resources'],
    ['[{"issuer":"i","jwksUri":"https://x","audience":"a","algorithms":["HS256"]}]', '[0].algorithms'],
    [
      '[{"issuer":"i","jwksUri":"https://x","audience":"a"},{"issuer":"i","jwksUri":"https://y","audience":"b"}]',
      'listed twice',
    ],
  ])('refuses %s', (raw, problem) => {
    expect(parseTrustedIssuers(raw).problems.join('\n')).toContain(problem);
  });

  it('accepts https anywhere and http only on loopback for JWKS URLs', () => {
    expect(isAcceptableJwksUrl('https://idp.example.com/keys')).toBe(true);
    expect(isAcceptableJwksUrl('http://127.0.0.1:8080/keys')).toBe(true);
    expect(isAcceptableJwksUrl('http://localhost/keys')).toBe(true);
    expect(isAcceptableJwksUrl('http://10.0.0.1/keys')).toBe(false);
    expect(isAcceptableJwksUrl('file:///etc/passwd')).toBe(false);
  });
});

describe('loadConfig: auth settings', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig({}).auth).toEqual({
      keyEncryptionKey: undefined,
      signingAlg: 'ES256',
      accessTokenTtl: 3600,
      clientCredentialsTtl: 3600,
      assertionMaxLifetime: 3600,
      clockSkew: 60,
      assertionMaxBytes: 8192,
      rateLimit: { perClient: 60, perAddress: 120 },
      trustedIssuers: [],
      userTokenTtl: 900,
      refreshIdleTtl: 30 * 86400,
      refreshMaxTtl: 90 * 86400,
      registration: 'open',
      registrationRateLimit: 30,
      dynamicClientMaxIdleDays: 90,
      clientMetadataDocuments: true,
      cimdAllowPrivateAddresses: false,
      bearerFailureLimit: 60,
      apiTokenRateLimit: 0,
      credentialCacheSeconds: 5,
    });
    expect(loadConfig({}).login).toEqual({ adminGroups: ['Roster Admins'], sessionIdleMinutes: 30, maxFailures: 5 });
  });

  it('needs the three OIDC variables together, and keeps user token lifetimes within 10 to 60 minutes', () => {
    expect(() => loadConfig({ OIDC_ISSUER: 'https://idp.example.com' })).toThrow(/must be set together/);
    expect(() => loadConfig({ OAUTH_USER_TOKEN_TTL_MINUTES: '5' })).toThrow(ConfigError);
    expect(() => loadConfig({ OAUTH_USER_TOKEN_TTL_MINUTES: '61' })).toThrow(ConfigError);
    const oidc = loadConfig({
      OIDC_ISSUER: 'https://login.example.com/tenant/v2.0',
      OIDC_CLIENT_ID: 'roster',
      OIDC_CLIENT_SECRET: 'shh',
      ROSTER_ADMIN_GROUPS: ' Admins ,IT ,',
    }).login;
    expect(oidc).toMatchObject({
      adminGroups: ['Admins', 'IT'],
      oidc: { issuer: 'https://login.example.com/tenant/v2.0', matchClaim: 'email', name: 'login.example.com' },
    });
  });

  it('keeps the client-credentials lifetime within 60 to 360 minutes', () => {
    expect(loadConfig({ OAUTH_CLIENT_CREDENTIALS_TTL_MINUTES: '360' }).auth.clientCredentialsTtl).toBe(21600);
    expect(() => loadConfig({ OAUTH_CLIENT_CREDENTIALS_TTL_MINUTES: '59' })).toThrow(ConfigError);
    expect(() => loadConfig({ OAUTH_CLIENT_CREDENTIALS_TTL_MINUTES: '361' })).toThrow(ConfigError);
  });

  it('names a bad key encryption key and bad trusted issuers in one error', () => {
    let error: unknown;
    try {
      loadConfig({ ROSTER_KEY_ENCRYPTION_KEY: 'c2hvcnQ=', TRUSTED_ISSUERS: '[1]', OAUTH_SIGNING_ALG: 'HS256' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('ROSTER_KEY_ENCRYPTION_KEY');
    expect(problems).toContain('TRUSTED_ISSUERS: [0] must be an object');
    expect(problems).toContain('OAUTH_SIGNING_ALG');
    expect(problems).not.toContain('c2hvcnQ=');
  });

  it('keeps the credential cache within 0 (off) to 300 seconds', () => {
    expect(loadConfig({ AUTH_CACHE_SECONDS: '0' }).auth.credentialCacheSeconds).toBe(0);
    expect(loadConfig({ AUTH_CACHE_SECONDS: '300' }).auth.credentialCacheSeconds).toBe(300);
    expect(() => loadConfig({ AUTH_CACHE_SECONDS: '301' })).toThrow(/AUTH_CACHE_SECONDS/);
    expect(() => loadConfig({ AUTH_CACHE_SECONDS: '-1' })).toThrow(/AUTH_CACHE_SECONDS/);
  });

  it('accepts a 32-byte base64 key encryption key', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ ROSTER_KEY_ENCRYPTION_KEY: key }).auth.keyEncryptionKey).toBe(key);
  });
});
