import { configurePasswordHashing, FairLimiter, hashPassword, needsRehash, verifyPassword } from './password';

describe('password hashing', () => {
  it('hashes with scrypt at N=2^17, r=8, p=1 and verifies the right password only', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    await expect(verifyPassword('correct horse battery staple', stored)).resolves.toBe(true);
    await expect(verifyPassword('correct horse battery stapl', stored)).resolves.toBe(false);
    expect(needsRehash(stored)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });

  it('still verifies hashes of the former cost (N=2^15), and says they need a rehash', async () => {
    // Made by the previous hashPassword (N=32768, r=8, p=1) for "old secret".
    const old = 'scrypt$32768$8$1$7JVptXXEu-ok0AOXg8Zw_Q$kD1JC1ZUQH4UhWwMvmOmMUKasmtz3v0p3Q8QvI893Uk';
    await expect(verifyPassword('old secret', old)).resolves.toBe(true);
    await expect(verifyPassword('old secrets', old)).resolves.toBe(false);
    expect(needsRehash(old)).toBe(true);
  });

  it('hashes at a configured N (PASSWORD_SCRYPT_N), and judges rehashing against it', async () => {
    configurePasswordHashing({ concurrency: 2, perRequest: 1, scryptN: 16384 });
    try {
      const stored = await hashPassword('tests go faster');
      expect(stored).toMatch(/^scrypt\$16384\$8\$1\$/);
      await expect(verifyPassword('tests go faster', stored)).resolves.toBe(true);
      expect(needsRehash(stored)).toBe(false);
    } finally {
      configurePasswordHashing({ concurrency: 2, perRequest: 1 });
    }
    expect(needsRehash('scrypt$16384$8$1$c2FsdGVkc2FsdGVkc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g')).toBe(
      true,
    );
  });

  it('rejects stored values of another scheme or with absurd parameters, and says they need a rehash', async () => {
    await expect(verifyPassword('x', 'bcrypt$whatever')).resolves.toBe(false);
    await expect(verifyPassword('x', 'scrypt$4194304$8$1$c2FsdA$aGFzaA')).resolves.toBe(false);
    await expect(verifyPassword('x', 'scrypt$1000$8$1$c2FsdA$aGFzaA')).resolves.toBe(false);
    expect(needsRehash('bcrypt$whatever')).toBe(true);
    expect(needsRehash('scrypt$131072$8$1$c2FsdA$aGFzaA')).toBe(true); // a key shorter than ours
  });
});

/** A task that runs until the test lets it finish, counting what runs at the same time. */
function harness(limiter: FairLimiter) {
  let running = 0;
  let maxRunning = 0;
  const runningByKey = new Map<string, number>();
  const maxByKey = new Map<string, number>();
  const started: string[] = [];
  const finishers: (() => void)[] = [];
  const submit = (key: string): Promise<void> =>
    limiter.run(key, async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runningByKey.set(key, (runningByKey.get(key) ?? 0) + 1);
      maxByKey.set(key, Math.max(maxByKey.get(key) ?? 0, runningByKey.get(key)!));
      started.push(key);
      await new Promise<void>((resolve) => finishers.push(resolve));
      running--;
      runningByKey.set(key, runningByKey.get(key)! - 1);
    });
  /** Lets every task now running finish, and waits until the queue has started the next ones. */
  const finishRunning = async (): Promise<void> => {
    finishers.splice(0).forEach((finish) => finish());
    for (let i = 0; i < 10; i++) {
      await Promise.resolve();
    }
  };
  return {
    submit,
    finishRunning,
    started,
    stats: () => ({ running, maxRunning, maxByKey, pending: finishers.length }),
  };
}

describe('FairLimiter (the hashing queue)', () => {
  it('never runs more than its overall and per-key bounds, and serves keys in turn', async () => {
    const limiter = new FairLimiter(2, 1);
    const h = harness(limiter);
    const all = [
      ...Array.from({ length: 6 }, () => h.submit('bulk')),
      h.submit('token'),
      h.submit('other'),
      h.submit('token'),
    ];
    await h.finishRunning();
    while (h.stats().pending > 0) {
      expect(h.stats().running).toBeLessThanOrEqual(2);
      await h.finishRunning();
    }
    await Promise.all(all);
    expect(h.stats().maxRunning).toBe(2);
    expect(Math.max(...h.stats().maxByKey.values())).toBe(1);
    // The bulk request's six tasks do not hold the others back: every key is served before its second turn.
    expect(h.started.slice(0, 3).sort()).toEqual(['bulk', 'other', 'token']);
    expect(h.started.indexOf('token', h.started.indexOf('token') + 1)).toBeLessThan(h.started.lastIndexOf('bulk'));
    expect(h.started.filter((k) => k === 'bulk')).toHaveLength(6);
  });

  it('lets one key use the whole capacity when it is alone and the per-key bound allows it', async () => {
    const limiter = new FairLimiter(3, 3);
    const h = harness(limiter);
    const all = Array.from({ length: 7 }, () => h.submit('only'));
    await h.finishRunning();
    expect(h.stats().running).toBe(3);
    while (h.stats().pending > 0) {
      await h.finishRunning();
    }
    await Promise.all(all);
    expect(h.stats().maxRunning).toBe(3);
    expect(h.started).toHaveLength(7);
  });

  it('releases its slot when a task fails', async () => {
    const limiter = new FairLimiter(1, 1);
    await expect(limiter.run('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run('a', () => Promise.resolve(42))).resolves.toBe(42);
  });
});
