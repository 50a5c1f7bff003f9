import { ScimError, SCIM_EVENT, ChangeEventInput } from '@roster/scim';
import { decodeProtectedHeader, exportJWK, jwtVerify } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { KeyEncryptionUnavailableError } from '../../auth/key-encryption.service';
import type { SigningKeysService } from '../../auth/signing-keys.service';
import type { AppConfig } from '../../config';
import { receiverTag, SetEncoder } from './set-encoder.service';

const config = { publicUrl: 'https://roster.example.com' } as AppConfig;
const receiver = {
  id: '5b7a2f0e-3c1d-4e8f-9a6b-2d4c6e8f0a1b',
  audience: 'https://hr.example.com',
  events: [SCIM_EVENT.delete],
};
const deleted: ChangeEventInput = {
  seq: 7n,
  time: new Date('2026-12-06T10:00:00Z'),
  type: 'user.deleted',
  resourceType: 'User',
  resourceId: '2819c223-7f76-453a-919d-413861904646',
  version: 4,
  changes: [],
  requestId: 'req-7',
};

describe('SetEncoder', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keys = { activeSigner: jest.fn() } as unknown as jest.Mocked<SigningKeysService>;
  const encoder = new SetEncoder(config, keys);

  it('signs the claims with the active key: typ secevent+jwt, its kid, verifiable with the public key', async () => {
    keys.activeSigner.mockResolvedValue({ kid: 'k1', alg: 'ES256', key: privateKey });
    const jws = await encoder.encode(deleted, receiver);
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'ES256', kid: 'k1', typ: 'secevent+jwt' });
    const { payload } = await jwtVerify(jws, { ...(await exportJWK(publicKey)), alg: 'ES256' } as never, {
      issuer: config.publicUrl,
      audience: receiver.audience,
      typ: 'secevent+jwt',
    });
    expect(payload).toMatchObject({
      jti: `${receiverTag(receiver.id)}0000000000000007`,
      txn: 'req-7',
      events: { [SCIM_EVENT.delete]: {} },
    });
  });

  it('matches only events the receiver gets a SET for, and refuses to encode the others', async () => {
    const updated = { ...deleted, type: 'user.updated', changes: [{ path: 'displayName', value: 'x' }] };
    expect(encoder.matches(deleted, receiver)).toBe(true);
    expect(encoder.matches(updated, receiver)).toBe(false);
    await expect(encoder.encode(updated, receiver)).rejects.toThrow(/no SCIM event/);
  });

  it('no key to sign with (PostgreSQL without ROSTER_KEY_ENCRYPTION_KEY) is a 503 naming no internals', async () => {
    keys.activeSigner.mockRejectedValue(new KeyEncryptionUnavailableError('ROSTER_KEY_ENCRYPTION_KEY is not set.'));
    const failure = encoder.encode(deleted, receiver);
    await expect(failure).rejects.toBeInstanceOf(ScimError);
    await expect(failure).rejects.toMatchObject({ status: 503 });
    await expect(encoder.encode(deleted, receiver)).rejects.not.toThrow(/ROSTER_KEY_ENCRYPTION_KEY/);
  });

  it('tags differ per receiver and are 16 hex digits', () => {
    expect(receiverTag(receiver.id)).toMatch(/^[0-9a-f]{16}$/);
    expect(receiverTag('another')).not.toBe(receiverTag(receiver.id));
  });
});
