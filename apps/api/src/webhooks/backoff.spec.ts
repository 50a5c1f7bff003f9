import { backoffMs } from './webhook-worker.service';

describe('Webhook backoff', () => {
  it('doubles per failure from the base, capped, with jitter between half and all of it', () => {
    const low = () => 0;
    const high = () => 1;
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 1000, 60_000, high))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 1000, 60_000, low))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffMs(30, 1000, 60_000, high)).toBe(60_000);
    expect(backoffMs(10_000, 1000, 60_000, low)).toBe(30_000);
  });
});
