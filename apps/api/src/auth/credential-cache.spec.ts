import type { ApiTokenRecord, ApiTokensRepository, PrismaService } from '@roster/db';
import type { EventsService } from '../events/events.service';
import type { AppConfig } from '../config';
import { ApiTokensService } from './api-tokens.service';
import { CredentialCache } from './credential-cache';
import { sha256 } from './secrets';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('CredentialCache', () => {
  it('serves a found value for the TTL, then reads again', async () => {
    const time = clock();
    const cache = new CredentialCache<string>(5000, 100, time.now);
    const load = jest.fn().mockResolvedValueOnce('a').mockResolvedValueOnce('b');
    expect(await cache.get('k', load)).toBe('a');
    time.advance(4999);
    expect(await cache.get('k', load)).toBe('a');
    expect(load).toHaveBeenCalledTimes(1);
    time.advance(1);
    expect(await cache.get('k', load)).toBe('b');
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('never keeps a miss, so a credential created a moment ago works at once', async () => {
    const cache = new CredentialCache<string>(5000, 100, clock().now);
    const load = jest.fn().mockResolvedValueOnce(undefined).mockResolvedValueOnce('new');
    expect(await cache.get('k', load)).toBeUndefined();
    expect(await cache.get('k', load)).toBe('new');
    expect(cache.size).toBe(1);
  });

  it('reads every time with a TTL of 0', async () => {
    const cache = new CredentialCache<string>(0, 100, clock().now);
    const load = jest.fn().mockResolvedValue('v');
    await cache.get('k', load);
    await cache.get('k', load);
    expect(load).toHaveBeenCalledTimes(2);
    expect(cache.size).toBe(0);
  });

  it('shares one read among concurrent requests for the same key', async () => {
    const cache = new CredentialCache<string>(5000, 100, clock().now);
    let resolve!: (v: string) => void;
    const load = jest.fn(() => new Promise<string>((r) => (resolve = r)));
    const both = Promise.all([cache.get('k', load), cache.get('k', load)]);
    resolve('v');
    expect(await both).toEqual(['v', 'v']);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('does not put back a value whose read began before an eviction', async () => {
    const cache = new CredentialCache<string>(5000, 100, clock().now);
    let resolve!: (v: string) => void;
    const pending = cache.get('k', () => new Promise<string>((r) => (resolve = r)));
    cache.evict(() => true);
    resolve('stale');
    await pending;
    expect(cache.size).toBe(0);
  });

  it('holds at most maxEntries, dropping the oldest', async () => {
    const cache = new CredentialCache<number>(5000, 3, clock().now);
    for (let i = 0; i < 5; i++) {
      await cache.get(`k${i}`, () => Promise.resolve(i));
    }
    expect(cache.size).toBe(3);
    const load = jest.fn().mockResolvedValue(-1);
    expect(await cache.get('k0', load)).toBe(-1);
    expect(await cache.get('k4', load)).toBe(4);
  });
});

describe('ApiTokensService with its cache', () => {
  const token = `roster_at_${'x'.repeat(43)}`;
  const record = (changes: Partial<ApiTokenRecord> = {}): ApiTokenRecord => ({
    id: '2819c223-7f76-453a-919d-413861904646',
    name: 'entra',
    tokenHash: sha256(token).toString('hex'),
    scope: 'scim.read scim.write',
    mcp: false,
    created: new Date(0),
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    rateLimit: null,
    ...changes,
  });
  const config = { auth: { credentialCacheSeconds: 5, apiTokenRateLimit: 0 } } as AppConfig;

  function service(time = clock(Date.UTC(2026, 11, 4))) {
    const repository = {
      findByHash: jest.fn().mockResolvedValue(record()),
      touch: jest.fn().mockResolvedValue(undefined),
      revoke: jest.fn().mockResolvedValue(true),
    };
    // Revocations run in a transaction that also appends the token.revoked event.
    const prisma = { transaction: (work: (tx: unknown) => Promise<unknown>) => work({}) };
    const events = { credential: jest.fn().mockResolvedValue(undefined) };
    const tokens = new ApiTokensService(
      repository as unknown as ApiTokensRepository,
      config,
      prisma as unknown as PrismaService,
      events as unknown as EventsService,
      time.now,
    );
    return { tokens, repository, time, events };
  }

  it('reads the token once per AUTH_CACHE_SECONDS: a revocation elsewhere is seen within that bound', async () => {
    const { tokens, repository, time } = service();
    await expect(tokens.authenticate(token)).resolves.toMatchObject({ kind: 'api-token' });
    repository.findByHash.mockResolvedValue(record({ revokedAt: new Date(time.now()) }));
    time.advance(4999);
    await expect(tokens.authenticate(token)).resolves.toMatchObject({ kind: 'api-token' });
    expect(repository.findByHash).toHaveBeenCalledTimes(1);
    time.advance(1);
    await expect(tokens.authenticate(token)).rejects.toThrow('The API token has been revoked.');
    expect(repository.findByHash).toHaveBeenCalledTimes(2);
  });

  it('refuses a token revoked through this instance at once', async () => {
    const { tokens, repository, time, events } = service();
    await tokens.authenticate(token);
    await tokens.revoke(record().id);
    expect(events.credential).toHaveBeenCalledWith({}, 'token.revoked', 'ApiToken', record().id);
    repository.findByHash.mockResolvedValue(record({ revokedAt: new Date(time.now()) }));
    await expect(tokens.authenticate(token)).rejects.toThrow('The API token has been revoked.');
  });

  it('refuses a cached token once it expires, without reading it again', async () => {
    const { tokens, repository, time } = service();
    repository.findByHash.mockResolvedValue(record({ expiresAt: new Date(time.now() + 1000) }));
    await tokens.authenticate(token);
    time.advance(1000);
    await expect(tokens.authenticate(token)).rejects.toThrow('The API token has expired.');
    expect(repository.findByHash).toHaveBeenCalledTimes(1);
  });

  it('records use at most once a minute although the cached record says it was never used', async () => {
    const { tokens, repository, time } = service();
    for (let i = 0; i < 30; i++) {
      await tokens.authenticate(token);
      time.advance(1000);
    }
    expect(repository.touch).toHaveBeenCalledTimes(1);
    time.advance(30_000);
    await tokens.authenticate(token);
    expect(repository.touch).toHaveBeenCalledTimes(2);
  });

  it('answers the request when recording use fails', async () => {
    const { tokens, repository } = service();
    repository.touch.mockRejectedValue(new Error('database down'));
    await expect(tokens.authenticate(token)).resolves.toMatchObject({ kind: 'api-token' });
  });
});
