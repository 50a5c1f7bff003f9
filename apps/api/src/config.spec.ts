import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: 'http://127.0.0.1:3000',
      database: { url: undefined, dataDir: './data', poolSize: 10, statementTimeoutMs: 5000, lockTimeoutMs: 3000 },
      filter: { maxResults: 1000, maxCost: 100 },
      discoveryPublic: true,
      bodyLimit: 1048576,
      logLevel: 'info',
    });
  });

  it('reads the database timeouts and the filter cost budget, 0 turning a timeout off', () => {
    const config = loadConfig({
      DATABASE_STATEMENT_TIMEOUT_MS: '0',
      DATABASE_LOCK_TIMEOUT_MS: '250',
      FILTER_MAX_COST: '40',
    });
    expect(config.database).toMatchObject({ statementTimeoutMs: 0, lockTimeoutMs: 250 });
    expect(config.filter.maxCost).toBe(40);
    expect(() => loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '-1' })).toThrow(/DATABASE_STATEMENT_TIMEOUT_MS/);
    expect(() => loadConfig({ FILTER_MAX_COST: '0' })).toThrow(/FILTER_MAX_COST/);
  });

  it('derives PUBLIC_URL from HOST and PORT, using loopback for wildcard hosts', () => {
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '8080' }).publicUrl).toBe('http://127.0.0.1:8080');
    expect(loadConfig({ HOST: 'roster.local', PORT: '81' }).publicUrl).toBe('http://roster.local:81');
    expect(loadConfig({ PUBLIC_URL: 'https://scim.example.com/' }).publicUrl).toBe('https://scim.example.com');
  });

  it.each([
    ['true', true],
    ['FALSE', false],
    ['0', false],
    ['1', true],
  ])('reads DISCOVERY_PUBLIC=%s as %s', (value, expected) => {
    expect(loadConfig({ DISCOVERY_PUBLIC: value }).discoveryPublic).toBe(expected);
  });

  it.each(['yes', 'on', 'no', 'off', 'enabled'])('refuses the boolean %s (only true, false, 1 and 0)', (value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(`TRUST_PROXY must be true, false, 1 or 0, got "${value}"`);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be an integer between 1 and 65535, got "abc"'],
    [{ PORT: '0' }, 'PORT must be an integer between 1 and 65535, got "0"'],
    [{ HOST: '999.1.1.1' }, 'HOST must be an IP address (127.0.0.1, 0.0.0.0, ::) or a host name, got "999.1.1.1"'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT must be one of json, pretty, got "xml"'],
    [
      { PUBLIC_URL: 'ftp://x' },
      'PUBLIC_URL must be an http:// or https:// URL, such as https://scim.example.com, got "ftp://x"',
    ],
    [{ DATABASE_CONNECT_TIMEOUT: '-1' }, 'DATABASE_CONNECT_TIMEOUT must be an integer between 1 and 600, got "-1"'],
  ])('says what %j should be: %s', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never prints a secret or the password of a database URL', () => {
    let message = '';
    try {
      loadConfig({ DATABASE_URL: 'mysql://roster:hunter2@db/roster', SCIM_ADMIN_TOKEN: 'hunter2-short' });
    } catch (e) {
      message = (e as ConfigError).message;
    }
    expect(message).toContain('DATABASE_URL must be memory:// or a postgres:// URL');
    expect(message).toContain('"mysql://roster:***@db/roster"');
    expect(message).toContain('SCIM_ADMIN_TOKEN must be at least 24 characters, got [REDACTED]');
    expect(message).not.toContain('hunter2');
  });

  it('accepts host names and addresses for HOST', () => {
    for (const host of ['localhost', '0.0.0.0', '::', '::1', '10.1.2.3', 'roster.internal']) {
      expect(loadConfig({ HOST: host }).host).toBe(host);
    }
  });

  it('reads the operations variables', () => {
    expect(loadConfig({}).ops).toEqual({
      connectTimeoutSeconds: 10,
      connectAttempts: 5,
      logFormat: 'json',
      metrics: { enabled: true, port: undefined, public: false },
    });
    expect(
      loadConfig({ DATABASE_CONNECT_TIMEOUT: '3', LOG_FORMAT: 'pretty', METRICS_PORT: '9464', METRICS_PUBLIC: 'true' })
        .ops,
    ).toMatchObject({ connectTimeoutSeconds: 3, logFormat: 'pretty', metrics: { port: 9464, public: true } });
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', DISCOVERY_PUBLIC: 'maybe', SCIM_ADMIN_TOKEN: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['PORT', 'DATABASE_URL', 'DISCOVERY_PUBLIC', 'SCIM_ADMIN_TOKEN']) {
      expect(message).toContain(name);
    }
    expect((error as ConfigError).problems).toHaveLength(4);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).port).toBe(3000);
  });

  it('reads the HTTP edge and password-hashing limits, with their defaults', () => {
    expect(loadConfig({}).http).toEqual({
      headersTimeout: 10000,
      bodyTimeout: 30000,
      requestTimeout: 60000,
      keepAliveTimeout: 72000,
      jsonMaxDepth: 64,
      logoMaxDimension: 4096,
    });
    expect(loadConfig({}).passwordHashing).toEqual({ concurrency: 2, perRequest: 1, scryptN: 131072 });
    const config = loadConfig({
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_BODY_TIMEOUT_MS: '3000',
      HTTP_REQUEST_TIMEOUT_MS: '4000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '5000',
      JSON_MAX_DEPTH: '16',
      LOGO_MAX_DIMENSION: '512',
      PASSWORD_HASH_CONCURRENCY: '4',
      PASSWORD_HASH_CONCURRENCY_PER_REQUEST: '2',
      PASSWORD_SCRYPT_N: '32768',
    });
    expect(config.http).toEqual({
      headersTimeout: 2000,
      bodyTimeout: 3000,
      requestTimeout: 4000,
      keepAliveTimeout: 5000,
      jsonMaxDepth: 16,
      logoMaxDimension: 512,
    });
    expect(config.passwordHashing).toEqual({ concurrency: 4, perRequest: 2, scryptN: 32768 });
  });

  it('refuses limits that contradict each other', () => {
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '30000', HTTP_REQUEST_TIMEOUT_MS: '20000' })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS .*, got 30000/,
    );
    expect(() => loadConfig({ PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_CONCURRENCY_PER_REQUEST: '2' })).toThrow(
      /PASSWORD_HASH_CONCURRENCY_PER_REQUEST must not exceed PASSWORD_HASH_CONCURRENCY .*, got 2/,
    );
    expect(() => loadConfig({ JSON_MAX_DEPTH: '2' })).toThrow(/JSON_MAX_DEPTH/);
    expect(() => loadConfig({ PASSWORD_SCRYPT_N: '100000' })).toThrow(
      /PASSWORD_SCRYPT_N must be a power of two.*, got 100000/,
    );
  });
});
