import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { NewSigningKey, SigningKeyRecord, SigningKeysRepository } from '@roster/db';
import { ScimError } from '@roster/scim';
import { calculateJwkThumbprint, JWK } from 'jose';
import { createPrivateKey, createPublicKey, generateKeyPair, KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { APP_CONFIG, AppConfig } from '../config';
import { SigningAlgorithm } from './auth-config';
import { KeyEncryptionService, KeyEncryptionUnavailableError } from './key-encryption.service';

const generateKeyPairAsync = promisify(generateKeyPair);

/** How long a cached view of the key table is trusted before it is read again. */
const CACHE_MS = 60_000;
/** An unknown kid triggers a re-read at most this often (a rotation on another instance). */
const UNKNOWN_KID_REFRESH_MS = 5_000;

export interface Signer {
  kid: string;
  alg: SigningAlgorithm;
  key: KeyObject;
}

export interface VerificationKey {
  kid: string;
  alg: string;
  pem: string;
}

export interface RotationResult {
  kid: string;
  alg: string;
  created: string;
  /** Keys retired by this rotation; published until their tokens have expired. */
  retired: { kid: string; expires_at: string }[];
}

/** A signing key as the console lists it: never its private half. */
export interface SigningKeyView {
  kid: string;
  alg: string;
  status: 'active' | 'retired';
  created: string;
  retired_at: string | null;
  /** A retired key is published (and verifies tokens) until then. */
  expires_at: string | null;
}

/**
 * Roster's token signing keys: created on first start, rotated on request, private halves
 * sealed under the KEK. Old public keys stay published and usable for verification until every
 * token they signed has expired (`expires_at` = rotation time + the longest token lifetime + skew).
 */
@Injectable()
export class SigningKeysService implements OnModuleInit {
  private readonly logger = new Logger('SigningKeys');
  private signer?: { value: Signer; loadedAt: number };
  private verifiable?: { keys: Map<string, VerificationKey>; jwks: JWK[]; loadedAt: number };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: SigningKeysRepository,
    private readonly kek: KeyEncryptionService,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.kek.available) {
      const active = await this.keys.insertIfNoneActive(await this.generate());
      this.logger.log(`Signing tokens with key ${active.kid} (${active.alg}).`);
    }
  }

  /**
   * How long after a rotation the retired key must stay verifiable: the longest token lifetime,
   * plus the time other instances may keep signing with their cached signer, plus clock skew.
   */
  get maxTokenLifetime(): number {
    const longest = Math.max(this.config.auth.accessTokenTtl, this.config.auth.clientCredentialsTtl);
    return longest + CACHE_MS / 1000 + this.config.auth.clockSkew;
  }

  async activeSigner(): Promise<Signer> {
    if (this.signer && Date.now() - this.signer.loadedAt < CACHE_MS) {
      return this.signer.value;
    }
    let record = await this.keys.findActive();
    if (!record) {
      record = await this.keys.insertIfNoneActive(await this.generate());
    }
    if (record.kekId !== this.kek.keyId) {
      throw new KeyEncryptionUnavailableError(
        `The active signing key ${record.kid} was sealed under another key encryption key; rotate the signing keys.`,
      );
    }
    const der = this.kek.open(record.privateKey, record.kid);
    const value: Signer = {
      kid: record.kid,
      alg: record.alg as SigningAlgorithm,
      key: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
    };
    this.signer = { value, loadedAt: Date.now() };
    return value;
  }

  async rotate(): Promise<RotationResult> {
    try {
      this.kek.assertAvailable();
    } catch (error) {
      throw new ScimError(409, `Cannot rotate the signing keys: ${(error as Error).message}`);
    }
    const now = new Date();
    const retiredUntil = new Date(now.getTime() + this.maxTokenLifetime * 1000);
    const { active, retired } = await this.keys.rotate(await this.generate(), now, retiredUntil);
    this.signer = undefined;
    this.verifiable = undefined;
    this.logger.log(`Rotated signing keys: ${active.kid} is active; retired ${retired.join(', ') || 'none'}.`);
    return {
      kid: active.kid,
      alg: active.alg,
      created: active.created.toISOString(),
      retired: retired.map((kid) => ({ kid, expires_at: retiredUntil.toISOString() })),
    };
  }

  /** The keys that sign or still verify tokens: the active one and the retired ones still published. */
  async list(): Promise<SigningKeyView[]> {
    const records = await this.keys.findVerifiable(new Date());
    return records.map((r) => ({
      kid: r.kid,
      alg: r.alg,
      status: r.status,
      created: r.created.toISOString(),
      retired_at: r.retiredAt?.toISOString() ?? null,
      expires_at: r.status === 'retired' ? (r.expiresAt?.toISOString() ?? null) : null,
    }));
  }

  /** The public JWKS (`/.well-known/jwks.json`). */
  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: (await this.loadVerifiable()).jwks };
  }

  /** The public key for `kid`, or undefined when it is unknown or past its time. */
  async verificationKey(kid: string): Promise<VerificationKey | undefined> {
    let cache = await this.loadVerifiable();
    if (!cache.keys.has(kid) && Date.now() - cache.loadedAt > UNKNOWN_KID_REFRESH_MS) {
      cache = await this.loadVerifiable(true);
    }
    return cache.keys.get(kid);
  }

  private async loadVerifiable(
    force = false,
  ): Promise<{ keys: Map<string, VerificationKey>; jwks: JWK[]; loadedAt: number }> {
    if (!force && this.verifiable && Date.now() - this.verifiable.loadedAt < CACHE_MS) {
      return this.verifiable;
    }
    const records = await this.keys.findVerifiable(new Date());
    const keys = new Map<string, VerificationKey>();
    const jwks: JWK[] = [];
    for (const record of records) {
      const jwk = publicJwk(record);
      const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
      keys.set(record.kid, { kid: record.kid, alg: record.alg, pem });
      jwks.push(jwk);
    }
    this.verifiable = { keys, jwks, loadedAt: Date.now() };
    return this.verifiable;
  }

  private async generate(): Promise<NewSigningKey> {
    const alg = this.config.auth.signingAlg;
    const pair =
      alg === 'RS256'
        ? await generateKeyPairAsync('rsa', { modulusLength: 2048 })
        : await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
    const jwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
    // RFC 7638 thumbprint: a kid derived from the key itself, unique without coordination.
    const kid = await calculateJwkThumbprint(jwk, 'sha256');
    const der = pair.privateKey.export({ type: 'pkcs8', format: 'der' });
    return {
      kid,
      alg,
      publicJwk: { ...jwk, kid, alg, use: 'sig' },
      privateKey: this.kek.seal(der, kid),
      kekId: this.kek.keyId,
    };
  }
}

function publicJwk(record: SigningKeyRecord): JWK {
  // Only public members are ever stored, but the published set is built from an allow-list anyway.
  const { kty, crv, x, y, n, e } = record.publicJwk as JWK;
  const members = Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined));
  return { ...members, kid: record.kid, alg: record.alg, use: 'sig' };
}
