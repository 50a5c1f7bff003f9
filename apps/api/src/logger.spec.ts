import { Writable } from 'node:stream';
import { createLogger } from './logger';
import { requestContext } from './ops/request-context';

function capture(): { stream: Writable; lines: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, lines: () => text };
}

describe('createLogger', () => {
  it('writes JSON with the version and, inside a request, its requestId', () => {
    const out = capture();
    const logger = createLogger('info', out.stream);
    requestContext.run({ requestId: 'req-7' }, () => logger.info({ thing: 1 }, 'inside'));
    logger.info('outside');
    const [inside, outside] = out
      .lines()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(inside).toMatchObject({
      msg: 'inside',
      requestId: 'req-7',
      service: 'roster',
      version: expect.any(String),
      thing: 1,
    });
    expect(outside.requestId).toBeUndefined();
  });

  it('writes lines for people with LOG_FORMAT=pretty', () => {
    const out = capture();
    createLogger('info', out.stream, { format: 'pretty' }).warn({ route: '/v2/Users' }, 'GET /v2/Users 400');
    const text = out.lines();
    expect(text).toContain('GET /v2/Users 400');
    expect(text).toContain('route: "/v2/Users"');
    expect(() => JSON.parse(text) as unknown).toThrow();
  });
});
