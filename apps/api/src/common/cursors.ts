import type { FactoryProvider } from '@nestjs/common';
import { SettingsRepository } from '@roster/db';
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Longest cursor worth reading: an issued one is a few hundred characters. */
const MAX_CURSOR_LENGTH = 2048;
/** Bytes of HMAC-SHA256 kept in a cursor: 128 bits cannot be guessed. */
const MAC_BYTES = 16;

/** The name under which the signing key is stored in `settings` (see SettingsRepository.secret). */
export const CURSOR_KEY_SETTING = 'cursor_hmac_key';

/**
 * Signs and verifies paging cursors (RFC 9865) with a server key, so that a client can only hand
 * back what the server issued: a cursor is `<base64url JSON>.<base64url HMAC>`. The key lives in
 * the database, so every instance (and every restart) accepts the cursors of the others.
 */
export class CursorCodec {
  constructor(private readonly key: Buffer) {
    if (key.length < 16) {
      throw new Error('A cursor key needs at least 128 bits.');
    }
  }

  encode(state: Record<string, unknown>): string {
    const payload = Buffer.from(JSON.stringify(state)).toString('base64url');
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  /** The state of a cursor this server issued, or undefined for anything else. */
  decode(cursor: string): unknown {
    if (cursor.length > MAX_CURSOR_LENGTH) {
      return undefined;
    }
    const dot = cursor.lastIndexOf('.');
    if (dot < 1) {
      return undefined;
    }
    const payload = cursor.slice(0, dot);
    const given = Buffer.from(cursor.slice(dot + 1), 'base64url');
    const expected = this.mac(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return undefined;
    }
    try {
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload).digest().subarray(0, MAC_BYTES);
  }
}

/** The codec for Nest: one key for every instance, kept in the database so cursors survive restarts. */
export const CURSOR_CODEC_PROVIDER: FactoryProvider<CursorCodec> = {
  provide: CursorCodec,
  inject: [SettingsRepository],
  useFactory: async (settings: SettingsRepository) => new CursorCodec(await settings.secret(CURSOR_KEY_SETTING)),
};
