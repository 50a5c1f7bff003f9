import { EventRecord } from '@roster/db';
import { MAX_DELIVERY_BODY_BYTES, messageId, StandardWebhooksEncoder, standardSignature } from './encoders';

function event(overrides: Partial<EventRecord> = {}): EventRecord {
  return {
    seq: 42n,
    time: new Date('2026-12-06T10:00:00.000Z'),
    type: 'user.updated',
    resourceType: 'User',
    resourceId: '2819c223-7f76-453a-919d-413861904646',
    version: 3,
    changes: [{ path: 'title', value: 'Boss' }],
    detail: null,
    actorKind: 'api-token',
    actorId: 't1',
    actorName: 'Okta',
    requestId: 'r1',
    clientAddress: '203.0.113.7',
    userAgent: 'Okta',
    ...overrides,
  };
}

describe('Standard Webhooks signatures', () => {
  it('reproduce the test vector the specification publishes', () => {
    expect(
      standardSignature(
        ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('sign with every secret given, space-separated (a rotation)', () => {
    const both = standardSignature(['whsec_AAAA', 'whsec_BBBB'], 'id', 1, '{}');
    expect(both.split(' ')).toEqual([
      standardSignature(['whsec_AAAA'], 'id', 1, '{}'),
      standardSignature(['whsec_BBBB'], 'id', 1, '{}'),
    ]);
  });
});

describe('StandardWebhooksEncoder', () => {
  const encoder = new StandardWebhooksEncoder('https://roster.example.com/v2');
  const target = { id: 's', url: 'https://hooks.example.com/', secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] };

  it('sends one event as {type, timestamp, data} with the headers of this attempt', async () => {
    const now = new Date('2026-12-06T10:00:05.900Z');
    const encoded = await encoder.encode(event(), target, now);
    expect(encoded.contentType).toBe('application/json');
    const body = JSON.parse(encoded.body);
    expect(body).toMatchObject({
      type: 'user.updated',
      timestamp: '2026-12-06T10:00:00.000Z',
      data: {
        id: '42',
        type: 'user.updated',
        resource: { id: '2819c223-7f76-453a-919d-413861904646', version: 'W/"3"' },
        changes: [{ path: 'title', value: 'Boss' }],
        actor: { kind: 'api-token', name: 'Okta' },
      },
    });
    expect(encoded.headers['webhook-id']).toBe('evt_42');
    expect(encoded.headers['webhook-timestamp']).toBe('1796551205');
    expect(encoded.headers['webhook-signature']).toBe(
      standardSignature(target.secrets, 'evt_42', 1796551205, encoded.body),
    );
  });

  it('keeps the body bounded: an oversized event goes without its changes, marked truncated', async () => {
    const huge = event({ changes: [{ path: 'members', value: 'x'.repeat(MAX_DELIVERY_BODY_BYTES) }] });
    const encoded = await encoder.encode(huge, target, new Date());
    expect(Buffer.byteLength(encoded.body)).toBeLessThan(MAX_DELIVERY_BODY_BYTES);
    expect(JSON.parse(encoded.body).data).toMatchObject({ changes: [], truncated: true });
  });

  it('counts any 2xx as delivered, and nothing else', () => {
    expect([200, 201, 202, 204, 299].every((s) => encoder.isSuccess(s))).toBe(true);
    expect([199, 301, 302, 400, 410, 500, 503].some((s) => encoder.isSuccess(s))).toBe(false);
  });

  it('gives every attempt and replay of an event the same message id', () => {
    expect(messageId({ seq: 7n })).toBe('evt_7');
  });
});
