import { EventRecord } from '@roster/db';
import { createHmac } from 'node:crypto';
import { representEvent } from '../events/events-feed';

/**
 * The formats a subscription can have: Standard Webhooks, or `secevent`, SCIM security events
 * pushed as signed SETs (RFC 8935; the encoder is `SecurityEventPushEncoder`).
 */
export const WEBHOOK_FORMATS = ['standard-webhooks', 'secevent'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** Largest body one delivery sends; an event past it is sent with its `changes` left out (`truncated`). */
export const MAX_DELIVERY_BODY_BYTES = 256 * 1024;

/** What an encoder needs of a subscription. */
export interface DeliveryTarget {
  id: string;
  url: string;
  /** The signing secrets, newest first (two during a rotation), each `whsec_` + base64. */
  secrets: string[];
}

/** One HTTP request to make for one event. */
export interface EncodedDelivery {
  contentType: string;
  body: string;
  headers: Record<string, string>;
}

/**
 * A delivery format: how one event becomes one POST, and which answers count as delivered.
 * The engine (ordering, retries, leases, the log) does not depend on the format.
 */
export interface DeliveryEncoder {
  readonly format: string;
  encode(event: EventRecord, target: DeliveryTarget, now: Date): Promise<EncodedDelivery>;
  isSuccess(status: number): boolean;
  /**
   * Whether the format has anything to send for this event (absent: everything); an event it has
   * nothing for is passed over like an unsubscribed type (a token event makes no SCIM event).
   */
  accepts?(event: EventRecord, target: DeliveryTarget): boolean;
}

/** The `webhook-id` of an event: the same for every attempt and every replay, so receivers can de-duplicate. */
export function messageId(event: Pick<EventRecord, 'seq'>): string {
  return `evt_${event.seq.toString()}`;
}

/** `whsec_` + base64 of the key (Standard Webhooks); the HMAC key is the decoded bytes. */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` for each secret, space-separated (Standard Webhooks). */
export function standardSignature(secrets: string[], id: string, timestamp: number, body: string): string {
  return secrets
    .map(
      (secret) => `v1,${createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`,
    )
    .join(' ');
}

/**
 * Standard Webhooks (standardwebhooks.com): one event per POST, body
 * `{"type", "timestamp", "data"}` where `data` is the event as GET /v2/Events shows it;
 * `webhook-id`, `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`.
 * Any 2xx is success.
 */
export class StandardWebhooksEncoder implements DeliveryEncoder {
  readonly format = 'standard-webhooks';

  constructor(private readonly baseUrl: string) {}

  encode(event: EventRecord, target: DeliveryTarget, now: Date): Promise<EncodedDelivery> {
    const data = representEvent(event, this.baseUrl);
    let body = JSON.stringify({ type: event.type, timestamp: event.time.toISOString(), data });
    if (Buffer.byteLength(body) > MAX_DELIVERY_BODY_BYTES) {
      // A group change naming up to 1,000 members stays well under the cap; anything bigger is
      // announced without its values, and the receiver reads the resource or the feed.
      body = JSON.stringify({
        type: event.type,
        timestamp: event.time.toISOString(),
        data: { ...data, changes: [], truncated: true },
      });
    }
    const id = messageId(event);
    const timestamp = Math.floor(now.getTime() / 1000);
    return Promise.resolve({
      contentType: 'application/json',
      body,
      headers: {
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': standardSignature(target.secrets, id, timestamp, body),
      },
    });
  }

  isSuccess(status: number): boolean {
    return status >= 200 && status < 300;
  }
}
