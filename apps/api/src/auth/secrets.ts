import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Compares secrets in constant time. Callers pass SHA-256 digests, so both sides always have
 * the same length and the comparison time says nothing about the secret, not even its length.
 */
export function secretsEqual(candidateHash: Buffer, expectedHash: Buffer): boolean {
  return candidateHash.length === expectedHash.length && timingSafeEqual(candidateHash, expectedHash);
}

/** `prefix` + 256 random bits in base64url: unguessable, so a fast hash is enough to store it. */
export function randomSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}
