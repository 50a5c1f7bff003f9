import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { send } from './delivery-http';
import { addressAllowed, guardedLookup, Lookup, resolveProblem, urlProblem } from './webhook-target';

const strict = { allowPrivateNetworks: false, allowHttpLoopback: false };
const loopback = { allowPrivateNetworks: false, allowHttpLoopback: true };
const open = { allowPrivateNetworks: true, allowHttpLoopback: false };

/** A resolver that answers the given addresses for any name (what a rebinding DNS server does). */
const resolvingTo =
  (...addresses: string[]): Lookup =>
  (_host, _options, callback) =>
    callback(
      null,
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );

describe('Webhook targets', () => {
  it.each([
    ['https://hooks.example.com/roster', strict, undefined],
    ['https://hooks.example.com:8443/a?b=c', strict, undefined],
    ['https://93.184.216.34/', strict, undefined],
    ['http://hooks.example.com/', strict, /must use https/],
    ['http://hooks.example.com/', loopback, /must use https/],
    ['http://127.0.0.1:9000/hook', strict, /must use https/],
    ['http://127.0.0.1:9000/hook', loopback, undefined],
    ['http://[::1]:9000/hook', loopback, undefined],
    ['http://localhost:9000/hook', loopback, undefined],
    ['https://127.0.0.1/', strict, /loopback/],
    ['https://localhost/', strict, /localhost/],
    ['https://10.1.2.3/', strict, /10\.1\.2\.3/],
    ['https://10.1.2.3/', loopback, /10\.1\.2\.3/],
    ['https://10.1.2.3/', open, undefined],
    ['https://172.31.255.255/', strict, /private/],
    ['https://192.168.0.1/', strict, /private/],
    ['https://169.254.169.254/', strict, /169\.254\.169\.254/],
    ['https://100.64.1.1/', strict, /reserved/],
    ['https://0.0.0.0/', strict, /0\.0\.0\.0/],
    ['https://[fd00::1]/', strict, /fd00::1/],
    ['https://[fe80::1]/', strict, /fe80::1/],
    ['https://[::ffff:192.168.1.1]/', strict, /private/],
    ['https://[::]/', strict, /reserved/],
    ['https://224.0.0.1/', strict, /reserved/],
    ['ftp://hooks.example.com/', strict, /not ftp/],
    ['javascript:alert(1)', strict, /not javascript/],
    ['https://a:b@hooks.example.com/', strict, /credentials/],
    ['https://hooks.example.com/#x', strict, /fragment/],
    ['/relative', strict, /absolute/],
    ['', strict, /https URL/],
    [`https://hooks.example.com/${'a'.repeat(2000)}`, strict, /longer than 2000/],
  ])('%s', (url, policy, expected) => {
    const problem = urlProblem(url, policy);
    if (expected === undefined) {
      expect(problem).toBeUndefined();
    } else {
      expect(problem).toMatch(expected);
    }
  });

  it('refuses non-strings', () => {
    expect(urlProblem(42, strict)).toMatch(/https URL/);
    expect(urlProblem(undefined, strict)).toMatch(/https URL/);
  });

  it('checks every address a name resolves to, at creation', async () => {
    expect(await resolveProblem('https://hooks.example.com/', strict, resolvingTo('93.184.216.34'))).toBeUndefined();
    expect(
      await resolveProblem('https://hooks.example.com/', strict, resolvingTo('93.184.216.34', '10.0.0.2')),
    ).toMatch(/10\.0\.0\.2/);
    expect(await resolveProblem('https://hooks.example.com/', open, resolvingTo('10.0.0.2'))).toBeUndefined();
    const failing: Lookup = (_h, _o, callback) => callback(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }), []);
    expect(await resolveProblem('https://nowhere.example/', strict, failing)).toBeUndefined();
  });

  it('the connection lookup refuses a name that now resolves to a private address (DNS rebinding)', (done) => {
    guardedLookup(strict, resolvingTo('192.168.7.7'))('hooks.example.com', {}, (error) => {
      expect(error?.message).toContain('192.168.7.7');
      done();
    });
  });

  it('addressAllowed: loopback only with the http-loopback switch, private only with the private switch', () => {
    expect(addressAllowed('127.0.0.1', strict)).toBe(false);
    expect(addressAllowed('127.0.0.1', loopback)).toBe(true);
    expect(addressAllowed('::1', loopback)).toBe(true);
    expect(addressAllowed('10.0.0.1', loopback)).toBe(false);
    expect(addressAllowed('10.0.0.1', open)).toBe(true);
    expect(addressAllowed('not-an-ip', open)).toBe(false);
  });
});

describe('Delivery over HTTP', () => {
  const delivery = { contentType: 'application/json', body: '{}', headers: { 'webhook-id': 'evt_1' } };

  it('never connects when the name resolves to a refused address at delivery time', async () => {
    const result = await send('https://rebound.example.com/hook', delivery, {
      policy: strict,
      timeoutMs: 2000,
      connectTimeoutMs: 1000,
      userAgent: 'test',
      lookup: resolvingTo('10.9.9.9'),
    });
    expect(result.statusCode).toBeNull();
    expect(result.error).toMatch(/Refused: .*10\.9\.9\.9/);
  });

  it('does not follow redirects, caps what it reads, and times out', async () => {
    let hits = 0;
    const server = createServer((req, res) => {
      hits++;
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
      } else if (req.url === '/big') {
        res.writeHead(200);
        res.end('y'.repeat(1024 * 1024));
      } else {
        // /slow: never answers.
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const options = { policy: loopback, timeoutMs: 500, connectTimeoutMs: 400, userAgent: 'test' };
    try {
      const redirected = await send(`${base}/redirect`, delivery, options);
      expect(redirected.statusCode).toBe(302);
      expect(redirected.error).toContain('not followed');
      const big = await send(`${base}/big`, delivery, options);
      expect(big.statusCode).toBe(200);
      expect(big.snippet).toHaveLength(1024);
      const slow = await send(`${base}/slow`, delivery, options);
      expect(slow.statusCode).toBeNull();
      expect(slow.error).toContain('No answer within 500 ms');
      expect(hits).toBe(3);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
