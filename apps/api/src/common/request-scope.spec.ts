import { currentQueryScope } from '@roster/db';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { runInRequestScope } from './request-scope';

/** A response stand-in: `close` is what Node emits when the connection ends or the response is done. */
function response(finished: boolean): ServerResponse & EventEmitter {
  return Object.assign(new EventEmitter(), { writableFinished: finished }) as unknown as ServerResponse & EventEmitter;
}

describe('runInRequestScope', () => {
  it('runs the request in a scope whose signal fires when the client goes away first', () => {
    const res = response(false);
    let signal: AbortSignal | undefined;
    runInRequestScope(res, () => {
      signal = currentQueryScope()?.signal;
    });
    expect(signal?.aborted).toBe(false);
    res.emit('close');
    expect(signal?.aborted).toBe(true);
  });

  it('leaves the signal alone once the response is complete', () => {
    const res = response(true);
    let signal: AbortSignal | undefined;
    runInRequestScope(res, () => {
      signal = currentQueryScope()?.signal;
    });
    res.emit('close');
    expect(signal?.aborted).toBe(false);
  });

  it('keeps the scope for work the request starts later', async () => {
    let later: AbortSignal | undefined;
    await new Promise<void>((resolve) => {
      runInRequestScope(response(false), () => {
        setTimeout(() => {
          later = currentQueryScope()?.signal;
          resolve();
        }, 1);
      });
    });
    expect(later).toBeInstanceOf(AbortSignal);
  });
});
