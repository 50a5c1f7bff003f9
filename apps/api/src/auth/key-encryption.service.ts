import { Inject, Injectable, Logger } from '@nestjs/common';
import { PrismaService } from '@roster/db';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { APP_CONFIG, AppConfig } from '../config';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Signing is impossible right now; the message says what the operator has to do. */
export class KeyEncryptionUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyEncryptionUnavailableError';
  }
}

/** Where the embedded database keeps its generated key encryption key. */
export function kekFilePath(dataDir: string): string {
  return join(resolve(dataDir), 'keys', 'kek');
}

/**
 * Encrypts signing keys at rest with AES-256-GCM under the key encryption key (KEK).
 *
 * The KEK comes from ROSTER_KEY_ENCRYPTION_KEY. Without it:
 * - embedded database on disk: a KEK is generated once into DATA_DIR/keys/kek (mode 0600) with
 *   a warning. It sits next to the data, so it protects only against leaks of the database
 *   files alone (backups, dumps); production should set the variable;
 * - in-memory database: an ephemeral KEK, as nothing outlives the process anyway;
 * - PostgreSQL: none. Storing a KEK in the database it protects would defeat it, and instances
 *   do not share a disk. Roster still starts (verification needs only public keys, API tokens
 *   and trusted issuers work), but issuing tokens and rotating keys fail with a clear error.
 */
@Injectable()
export class KeyEncryptionService {
  private readonly logger = new Logger('KeyEncryption');
  private resolved = false;
  private key?: Buffer;
  private unavailableReason = 'ROSTER_KEY_ENCRYPTION_KEY is not set.';

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
  ) {}

  /** Resolved on first use rather than in a lifecycle hook, so that users need no init order. */
  private load(): void {
    if (this.resolved) {
      return;
    }
    this.resolved = true;
    const configured = this.config.auth.keyEncryptionKey;
    if (configured) {
      this.key = Buffer.from(configured, 'base64');
      return;
    }
    const url = this.config.database.url?.trim();
    if (this.prisma.kind === 'postgres') {
      this.unavailableReason =
        'ROSTER_KEY_ENCRYPTION_KEY is not set; on PostgreSQL it is required to issue tokens and rotate signing keys.';
      this.logger.warn(this.unavailableReason);
      return;
    }
    if (url === 'memory://' || url === 'memory') {
      this.key = randomBytes(32);
      return;
    }
    this.key = this.loadOrCreateFile(kekFilePath(this.config.database.dataDir));
  }

  get available(): boolean {
    this.load();
    return this.key !== undefined;
  }

  /** Throws KeyEncryptionUnavailableError, with what the operator must do, when there is no KEK. */
  assertAvailable(): void {
    this.require();
  }

  /** Identifies the KEK without revealing it, so that a key sealed under another KEK is reported as such. */
  get keyId(): string {
    return createHash('sha256').update('roster-kek:').update(this.require()).digest('hex').slice(0, 16);
  }

  /** version ‖ iv ‖ tag ‖ ciphertext; `context` (the kid) is authenticated, binding the ciphertext to its row. */
  seal(plaintext: Buffer, context: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.require(), iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ciphertext]);
  }

  open(sealed: Buffer, context: string): Buffer {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
      throw new KeyEncryptionUnavailableError('A sealed signing key has an unknown format.');
    }
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.require(), iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  }

  private require(): Buffer {
    this.load();
    if (!this.key) {
      throw new KeyEncryptionUnavailableError(this.unavailableReason);
    }
    return this.key;
  }

  private loadOrCreateFile(path: string): Buffer {
    try {
      const existing = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
      if (existing.length !== 32) {
        throw new KeyEncryptionUnavailableError(`${path} does not hold a 32-byte base64 key.`);
      }
      if ((statSync(path).mode & 0o077) !== 0) {
        this.logger.warn(`${path} is readable by other users; tightening it to 0600.`);
        chmodSync(path, 0o600);
      }
      return existing;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw error;
      }
    }
    const key = randomBytes(32);
    mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
    try {
      // 'wx': never overwrite a key another process wrote meanwhile; adopt that one instead.
      writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        return this.loadOrCreateFile(path);
      }
      throw error;
    }
    this.logger.warn(
      `Generated a key encryption key in ${path} for the signing keys. It lives next to the data; ` +
        'set ROSTER_KEY_ENCRYPTION_KEY in production.',
    );
    return key;
  }
}
