import { Inject, Injectable, Logger } from '@nestjs/common';
import { ChangeEventInput, ScimError, SecurityEventClaims, securityEventClaims, SetReceiverInput } from '@roster/scim';
import { SignJWT } from 'jose';
import { createHash } from 'node:crypto';
import { KeyEncryptionUnavailableError } from '../../auth/key-encryption.service';
import { Signer, SigningKeysService } from '../../auth/signing-keys.service';
import { APP_CONFIG, AppConfig } from '../../config';

/** RFC 8417 §2.3: the `typ` header that keeps a SET from being taken for another kind of JWT. */
export const SET_TYPE = 'secevent+jwt';

/** The 16 hex digits of a receiver that begin each of its SETs' jtis (see setJti in libs/scim). */
export function receiverTag(receiverId: string): string {
  return createHash('sha256').update(`roster-set-receiver:${receiverId}`).digest('hex').slice(0, 16);
}

/**
 * Change events as signed Security Event Tokens, for any delivery: the RFC 8936 poll endpoint now,
 * RFC 8935 push on the delivery engine later. The interface is narrow on purpose: a change event
 * and a receiver (its id, audience and event URIs) in, a compact JWS out, signed with Roster's
 * active signing key (published in the JWKS at /.well-known/jwks.json) with `typ: secevent+jwt`.
 * The payload is libs/scim's mapping (draft-ietf-scim-events-16); the jti is stable per event and
 * receiver, so a SET delivered twice is recognisable. `iat` is the signing time, `toe` the change's.
 */
@Injectable()
export class SetEncoder {
  private readonly logger = new Logger('SetEncoder');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: SigningKeysService,
  ) {}

  /** The SET's claims for this receiver, or null when it asked for none of the event's SCIM events. */
  claims(event: ChangeEventInput, receiver: SetReceiverInput, now = Date.now()): SecurityEventClaims | null {
    return securityEventClaims(
      event,
      { ...receiver, tag: receiverTag(receiver.id) },
      this.config.publicUrl,
      Math.floor(now / 1000),
    );
  }

  /** Whether this receiver gets a SET for the event. */
  matches(event: ChangeEventInput, receiver: SetReceiverInput): boolean {
    return this.claims(event, receiver) !== null;
  }

  /** The signed SET; throws for an event the receiver gets none for (ask `matches` first). */
  async encode(event: ChangeEventInput, receiver: SetReceiverInput): Promise<string> {
    const claims = this.claims(event, receiver);
    if (!claims) {
      throw new Error(`Event ${event.seq} (${event.type}) has no SCIM event for receiver ${receiver.id}.`);
    }
    const signer = await this.signer();
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: SET_TYPE })
      .sign(signer.key);
  }

  /**
   * The active signing key; a 503 naming the cause when there is none to use (on PostgreSQL
   * without ROSTER_KEY_ENCRYPTION_KEY), as for access tokens: the server's state, not the request.
   */
  async signer(): Promise<Signer> {
    try {
      return await this.keys.activeSigner();
    } catch (error) {
      if (error instanceof KeyEncryptionUnavailableError) {
        this.logger.error(`Cannot sign security event tokens: ${error.message}`);
        throw new ScimError(503, 'Roster cannot sign security event tokens right now; see its log.');
      }
      throw error;
    }
  }
}
