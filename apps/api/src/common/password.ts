import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { currentScope, runInScope } from './request-scope';

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: object,
) => Promise<Buffer>;

/**
 * OWASP's current scrypt minimum (N=2^17, r=8, p=1). One hash holds 128 MiB of memory outside
 * the JavaScript heap for a few hundred milliseconds, which is why hashing goes through a small
 * queue: at most PASSWORD_HASH_CONCURRENCY at once, and at most
 * PASSWORD_HASH_CONCURRENCY_PER_REQUEST of them for one request.
 */
const PARAMS = { N: 2 ** 17, r: 8, p: 1 };
/** PASSWORD_SCRYPT_N: OWASP's minimum unless configured otherwise (lower only for tests and trials). */
let scryptN = PARAMS.N;
/** Node refuses scrypt above `maxmem` (32 MiB by default); 128·N·r plus headroom. */
const MAXMEM = 256 * 1024 * 1024;
/** Stored hashes are ours, but their parameters are still bounded before any work is done for them. */
const MAX_STORED = { N: 2 ** 20, r: 32, p: 16 };
const KEY_LENGTH = 32;

/**
 * A small fair queue: at most `concurrency` tasks run, at most `perKey` of them for one key,
 * and the waiting key served least recently goes next, so one request's three hundred hashes do
 * not make every other request wait behind them.
 */
export class FairLimiter {
  private active = 0;
  private tick = 0;
  private readonly activeByKey = new Map<unknown, number>();
  private readonly waiting = new Map<unknown, (() => void)[]>();
  /** When each key with work was last given a slot: the least recently served key goes next. */
  private readonly lastServed = new Map<unknown, number>();

  constructor(
    private concurrency: number,
    private perKey: number,
  ) {}

  configure(concurrency: number, perKey: number): void {
    this.concurrency = concurrency;
    this.perKey = Math.min(perKey, concurrency);
    this.pump();
  }

  async run<T>(key: unknown, task: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve) => {
      const queue = this.waiting.get(key);
      if (queue) {
        queue.push(resolve);
      } else {
        this.waiting.set(key, [resolve]);
      }
      this.pump();
    });
    try {
      return await task();
    } finally {
      this.active--;
      const left = (this.activeByKey.get(key) ?? 1) - 1;
      if (left > 0) {
        this.activeByKey.set(key, left);
      } else {
        this.activeByKey.delete(key);
        if (!this.waiting.has(key)) {
          this.lastServed.delete(key);
        }
      }
      this.pump();
    }
  }

  private pump(): void {
    while (this.active < this.concurrency) {
      let next: unknown;
      let nextServed = Number.POSITIVE_INFINITY;
      for (const key of this.waiting.keys()) {
        const served = this.lastServed.get(key) ?? -1;
        if ((this.activeByKey.get(key) ?? 0) < this.perKey && served < nextServed) {
          next = key;
          nextServed = served;
        }
      }
      if (nextServed === Number.POSITIVE_INFINITY) {
        return;
      }
      const queue = this.waiting.get(next)!;
      const start = queue.shift()!;
      if (queue.length === 0) {
        this.waiting.delete(next);
      }
      this.active++;
      this.activeByKey.set(next, (this.activeByKey.get(next) ?? 0) + 1);
      this.lastServed.set(next, this.tick++);
      start();
    }
  }
}

const limiter = new FairLimiter(2, 1);
/** Work outside any request (the CLI, start-up) shares one key. */
const NO_REQUEST = {};

/** Called once at start-up with PASSWORD_HASH_CONCURRENCY and PASSWORD_HASH_CONCURRENCY_PER_REQUEST. */
export function configurePasswordHashing(limits: { concurrency: number; perRequest: number; scryptN?: number }): void {
  limiter.configure(limits.concurrency, limits.perRequest);
  scryptN = limits.scryptN ?? PARAMS.N;
}

/**
 * Runs `fn` as one requester of the hashing queue: every hash it starts counts against its share.
 * Each HTTP request is one already (its request scope names it, common/request-scope.ts).
 */
export function asPasswordHashingRequester<T>(fn: () => T): T {
  return runInScope({ requester: {} }, fn);
}

function queued<T>(task: () => Promise<T>): Promise<T> {
  return limiter.run(currentScope()?.requester ?? NO_REQUEST, task);
}

/** `scrypt$N$r$p$<salt>$<hash>`: self-describing, so parameters can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await queued(() =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { ...PARAMS, N: scryptN, maxmem: MAXMEM }),
  );
  return ['scrypt', scryptN, PARAMS.r, PARAMS.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

interface StoredHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parseStored(stored: string): StoredHash | undefined {
  const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (
    scheme !== 'scrypt' ||
    rest.length > 0 ||
    !salt ||
    !hash ||
    !Object.values(params).every((v) => Number.isSafeInteger(v) && v > 0) ||
    params.N > MAX_STORED.N ||
    (params.N & (params.N - 1)) !== 0 ||
    params.r > MAX_STORED.r ||
    params.p > MAX_STORED.p
  ) {
    return undefined;
  }
  return { ...params, salt: Buffer.from(salt, 'base64url'), hash: Buffer.from(hash, 'base64url') };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseStored(stored);
  if (!parsed || parsed.hash.length === 0) {
    return false;
  }
  const actual = await queued(() =>
    scrypt(password.normalize('NFC'), parsed.salt, parsed.hash.length, {
      N: parsed.N,
      r: parsed.r,
      p: parsed.p,
      maxmem: MAXMEM,
    }),
  );
  return actual.length === parsed.hash.length && timingSafeEqual(actual, parsed.hash);
}

/**
 * Whether a stored hash is weaker than what `hashPassword` makes now (older parameters, or not
 * ours at all): after a successful `verifyPassword`, sign-in code stores a fresh `hashPassword`.
 */
export function needsRehash(stored: string): boolean {
  const parsed = parseStored(stored);
  return !parsed || parsed.N < scryptN || parsed.r < PARAMS.r || parsed.p < PARAMS.p || parsed.hash.length < KEY_LENGTH;
}
