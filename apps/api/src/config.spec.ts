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
    ['yes', true],
  ])('reads DISCOVERY_PUBLIC=%s as %s', (value, expected) => {
    expect(loadConfig({ DISCOVERY_PUBLIC: value }).discoveryPublic).toBe(expected);
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
});
