import { EventEmitter } from 'node:events';
import { bindQueryScope, currentQueryScope, runInQueryScope } from './query-scope';

describe('query scope', () => {
  it('is the scope of the call chain that runs in it, and nothing outside', async () => {
    const signal = new AbortController().signal;
    const seen = await runInQueryScope({ signal }, async () => {
      await Promise.resolve();
      return currentQueryScope()?.signal;
    });
    expect(seen).toBe(signal);
    expect(currentQueryScope()).toBeUndefined();
  });

  it('stays with a function bound in it, when an event calls that function later', async () => {
    const signal = new AbortController().signal;
    // An emitter created outside the request, as a socket is: its listeners run in its own context.
    const socket = new EventEmitter();
    const bound = runInQueryScope({ signal }, () => bindQueryScope(() => currentQueryScope()?.signal));
    const unbound = runInQueryScope({ signal }, () => () => currentQueryScope()?.signal);
    const [fromBound, fromUnbound] = await new Promise<unknown[]>((resolve) => {
      socket.once('drain', () => resolve([bound(), unbound()]));
      setImmediate(() => socket.emit('drain'));
    });
    expect(fromBound).toBe(signal);
    expect(fromUnbound).toBeUndefined();
  });
});
