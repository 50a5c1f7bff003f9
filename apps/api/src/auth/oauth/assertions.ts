import { decodeProtectedHeader, errors, JWTPayload, jwtVerify, JWTVerifyGetKey } from 'jose';
import { ASYMMETRIC_ALGORITHMS } from '../auth-config';

export const JWT_CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface AssertionPolicy {
  /** Roster's issuer and its token endpoint URL: an assertion's `aud` must name one of them. */
  audiences: string[];
  /** How far ahead of now `exp` may be, in seconds. */
  maxLifetime: number;
  clockSkew: number;
  maxBytes: number;
}

/** Why an assertion was refused, in words fit for the client (never the assertion itself). */
export class AssertionRejected extends Error {
  constructor(readonly description: string) {
    super(description);
    this.name = 'AssertionRejected';
  }
}

/**
 * RFC 7523 §3 checks on a JWT assertion, for the JWT-bearer grant and for private_key_jwt
 * client authentication alike: size, pinned asymmetric algorithms (never `none`, never HMAC),
 * signature by a key of the client (picked by `kid`), `iss`, `aud`, `exp` (required, not too
 * far ahead), `nbf` and `iat` with a small skew, `sub` and `jti` present. Replay is the
 * caller's check, as it needs the database.
 */
export async function verifyAssertion(
  assertion: string,
  keys: JWTVerifyGetKey,
  issuer: string,
  policy: AssertionPolicy,
): Promise<JWTPayload & { sub: string; jti: string; exp: number }> {
  if (Buffer.byteLength(assertion, 'utf8') > policy.maxBytes) {
    throw new AssertionRejected(`The assertion is larger than ${policy.maxBytes} bytes.`);
  }
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(assertion).alg;
  } catch {
    throw new AssertionRejected('The assertion is not a well-formed signed JWT.');
  }
  if (typeof alg !== 'string' || !ASYMMETRIC_ALGORITHMS.some((known) => known === alg)) {
    throw new AssertionRejected(
      `The assertion algorithm "${String(alg)}" is not accepted; sign with one of ${ASYMMETRIC_ALGORITHMS.join(', ')}.`,
    );
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, keys, {
      algorithms: [...ASYMMETRIC_ALGORITHMS],
      issuer,
      audience: policy.audiences,
      clockTolerance: policy.clockSkew,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti'],
    }));
  } catch (error) {
    throw new AssertionRejected(describe(error, policy));
  }
  const now = Math.floor(Date.now() / 1000);
  const exp = payload.exp as number;
  if (exp - now > policy.maxLifetime + policy.clockSkew) {
    throw new AssertionRejected(
      `The assertion expires too far ahead; exp may be at most ${policy.maxLifetime} s from now.`,
    );
  }
  if (payload.iat !== undefined) {
    if (payload.iat > now + policy.clockSkew) {
      throw new AssertionRejected('The assertion was issued in the future (iat).');
    }
    if (payload.iat < now - policy.maxLifetime - policy.clockSkew) {
      throw new AssertionRejected('The assertion was issued too long ago (iat).');
    }
  }
  if (typeof payload.sub !== 'string' || !payload.sub || typeof payload.jti !== 'string' || !payload.jti) {
    throw new AssertionRejected('The assertion needs non-empty sub and jti claims.');
  }
  if (payload.jti.length > 200) {
    throw new AssertionRejected('The assertion jti is longer than 200 characters.');
  }
  return { ...payload, sub: payload.sub, jti: payload.jti, exp };
}

function describe(error: unknown, policy: AssertionPolicy): string {
  if (error instanceof errors.JWTExpired) {
    return 'The assertion has expired.';
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') {
      return `The assertion lacks the required "${error.claim}" claim.`;
    }
    switch (error.claim) {
      case 'nbf':
        return 'The assertion is not valid yet (nbf).';
      case 'aud':
        return `The assertion audience must be ${policy.audiences.join(' or ')}.`;
      case 'iss':
        return 'The assertion issuer does not match the client.';
      case 'iat':
        return 'The assertion issue time (iat) is not acceptable.';
      default:
        return `The assertion "${error.claim}" claim is not acceptable.`;
    }
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return 'No registered key of the client matches the assertion (kid and alg).';
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return 'The assertion signature is invalid.';
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return 'The assertion algorithm is not accepted.';
  }
  if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
    return "The client's keys could not be fetched from its jwks_uri.";
  }
  return 'The assertion is not a well-formed signed JWT.';
}
