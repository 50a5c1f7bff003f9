import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: 'http://127.0.0.1:3000',
      database: { url: undefined, dataDir: './data', poolSize: 10 },
      discoveryPublic: true,
      bodyLimit: 1048576,
      logLevel: 'info',
    });
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
