import { EventRecord } from '@roster/db';
import { DEFAULT_SCIM_EVENT_URIS, SetReceiverInput } from '@roster/scim';
import { SetEncoder } from '../events/sets/set-encoder.service';
import { DeliveryEncoder, DeliveryTarget, EncodedDelivery } from './encoders';

/** RFC 8935 §2: the media type of a pushed SET. */
export const SECEVENT_CONTENT_TYPE = 'application/secevent+jwt';

/**
 * SCIM security events pushed to a receiver (RFC 8935): one signed SET per POST, the same SET the
 * poll endpoint serves (SetEncoder: draft-ietf-scim-events-16, signed with the key in the JWKS).
 * The receiver is the subscription: its id tags every jti and its URL is the `aud`. Every SCIM
 * event is sent (creations in full); a change event that makes no SET — a token, client, consent
 * or webhook event — is passed over. Only 202 Accepted is success (RFC 8935 §2.2); a 400 with the
 * RFC's `{"err", "description"}` body is a failure like any other, logged with its answer.
 */
export class SecurityEventPushEncoder implements DeliveryEncoder {
  readonly format = 'secevent';

  constructor(private readonly sets: SetEncoder) {}

  accepts(event: EventRecord, target: DeliveryTarget): boolean {
    return this.sets.matches(event, this.receiver(target));
  }

  async encode(event: EventRecord, target: DeliveryTarget): Promise<EncodedDelivery> {
    return {
      contentType: SECEVENT_CONTENT_TYPE,
      body: await this.sets.encode(event, this.receiver(target)),
      headers: { accept: 'application/json' },
    };
  }

  isSuccess(status: number): boolean {
    return status === 202;
  }

  private receiver(target: DeliveryTarget): SetReceiverInput {
    return { id: target.id, audience: target.url, events: DEFAULT_SCIM_EVENT_URIS };
  }
}
