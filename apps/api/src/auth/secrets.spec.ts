import { randomSecret, secretsEqual, sha256 } from './secrets';

// The module object itself (not an import copy), so that a spy sees the calls secrets.ts makes.
const crypto = jest.requireActual<typeof import('node:crypto')>('node:crypto');

describe('secretsEqual', () => {
  afterEach(() => jest.restoreAllMocks());

  it('compares with crypto.timingSafeEqual, on equal-length SHA-256 digests', () => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    const expected = sha256('roster_at_the-real-token');

    expect(secretsEqual(sha256('roster_at_the-real-token'), expected)).toBe(true);
    expect(secretsEqual(sha256('roster_at_a-guess'), expected)).toBe(false);
    // A candidate of another length is hashed to the same length: the time taken does not leak it.
    expect(secretsEqual(sha256('x'), expected)).toBe(false);

    expect(spy).toHaveBeenCalledTimes(3);
    for (const [a, b] of spy.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });

  it('refuses digests of different lengths without comparing them', () => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    expect(secretsEqual(Buffer.alloc(16), Buffer.alloc(32))).toBe(false);
    expect(spy).not.toHaveBeenCalled();
  });
});

describe('randomSecret', () => {
  it('is the prefix and 256 random bits in base64url', () => {
    const a = randomSecret('roster_at_');
    expect(a).toMatch(/^roster_at_[A-Za-z0-9_-]{43}$/);
    expect(randomSecret('roster_at_')).not.toBe(a);
  });
});
