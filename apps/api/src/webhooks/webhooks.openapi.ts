import type { SchemaObject } from '@nestjs/swagger';
import { EVENT_TYPES } from '../events/events.service';
import { WEBHOOK_FORMATS } from './encoders';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const nullableString = (description: string): SchemaObject => ({ type: 'string', nullable: true, description });
const time = (description: string, nullable = false): SchemaObject => ({
  type: 'string',
  format: 'date-time',
  description,
  ...(nullable ? { nullable: true } : {}),
});

export const WEBHOOK_EXAMPLE = {
  id: '5f0c7a52-3c2e-4f4e-9d7b-0b8a1f6f4a21',
  url: 'https://hooks.example.com/roster',
  event_types: ['user.created', 'user.deactivated', 'user.deleted'],
  description: 'HR sync',
  enabled: true,
  format: 'standard-webhooks',
  cursor: '1842',
  consecutive_failures: 0,
  failures_total: 2,
  deliveries_total: 311,
  last_success_at: '2026-12-06T10:00:01.000Z',
  last_failure_at: '2026-12-05T08:12:40.000Z',
  next_attempt_at: '2026-12-06T10:00:01.000Z',
  disabled_reason: null,
  disabled_at: null,
  previous_secret_until: null,
  created: '2026-12-01T09:00:00.000Z',
  updated: '2026-12-01T09:00:00.000Z',
};

export const WEBHOOK_CREATED_EXAMPLE = {
  ...WEBHOOK_EXAMPLE,
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwmr1p0G+bQ7s=',
};

export const DELIVERY_EXAMPLE = {
  id: '9120',
  event_id: '1842',
  event_type: 'user.deactivated',
  message_id: 'evt_1842',
  status: 'succeeded',
  attempts: 2,
  last_status_code: 200,
  last_error: null,
  latency_ms: 83,
  response_snippet: 'ok',
  created: '2026-12-06T10:00:00.500Z',
  last_attempt_at: '2026-12-06T10:00:06.100Z',
  next_attempt_at: null,
};

/** Webhook management documents as OpenAPI component schemas. */
export const WEBHOOK_COMPONENT_SCHEMAS: Record<string, SchemaObject> = {
  WebhookCreate: {
    type: 'object',
    required: ['url'],
    additionalProperties: false,
    properties: {
      url: {
        type: 'string',
        maxLength: 2000,
        description:
          'https (http only for loopback hosts with WEBHOOKS_ALLOW_HTTP_LOOPBACK); private, loopback and link-local ' +
          'addresses are refused unless WEBHOOKS_ALLOW_PRIVATE_NETWORKS.',
      },
      event_types: {
        type: 'array',
        maxItems: EVENT_TYPES.length,
        items: { type: 'string', enum: ['*', ...EVENT_TYPES] },
        description: 'The event types to deliver; ["*"] or absent: all.',
      },
      description: { type: 'string', maxLength: 500 },
      enabled: { type: 'boolean', default: true },
      format: { type: 'string', enum: [...WEBHOOK_FORMATS], default: 'standard-webhooks' },
    },
  },
  WebhookUpdate: {
    type: 'object',
    additionalProperties: false,
    description: 'Members to change. Enabling a disabled subscription clears its failures.',
    properties: {
      url: { type: 'string', maxLength: 2000 },
      event_types: { type: 'array', items: { type: 'string', enum: ['*', ...EVENT_TYPES] } },
      description: { type: 'string', maxLength: 500, nullable: true },
      enabled: { type: 'boolean' },
    },
  },
  WebhookReplay: {
    type: 'object',
    required: ['from'],
    properties: {
      from: {
        type: 'string',
        pattern: '^[1-9][0-9]*$',
        description: 'The first event id (feed position) to deliver again.',
      },
    },
  },
  Webhook: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      url: { type: 'string' },
      event_types: { type: 'array', items: { type: 'string' } },
      description: nullableString('What the subscription is for.'),
      enabled: { type: 'boolean' },
      format: { type: 'string', enum: [...WEBHOOK_FORMATS] },
      cursor: {
        type: 'string',
        description: 'The event id of the last event dealt with; delivery continues after it.',
      },
      consecutive_failures: { type: 'integer' },
      failures_total: { type: 'integer' },
      deliveries_total: { type: 'integer' },
      last_success_at: time('Last delivered event.', true),
      last_failure_at: time('Last failed attempt.', true),
      next_attempt_at: time('When the next attempt may start (after a failure: the backoff).'),
      disabled_reason: nullableString('Why the delivery engine disabled it.'),
      disabled_at: time('When it was disabled.', true),
      previous_secret_until: time('Until when the secret before the last rotation also signs.', true),
      created: time('Created.'),
      updated: time('Last changed.'),
    },
  },
  WebhookWithSecret: {
    allOf: [
      ref('Webhook'),
      {
        type: 'object',
        properties: {
          secret: { type: 'string', description: 'whsec_ + base64 of the HMAC key: shown once.' },
        },
      },
    ],
  },
  WebhookList: {
    type: 'object',
    properties: { webhooks: { type: 'array', items: ref('Webhook') } },
  },
  WebhookDelivery: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      event_id: { type: 'string' },
      event_type: { type: 'string' },
      message_id: { type: 'string', description: 'The webhook-id header: the same for every attempt.' },
      status: { type: 'string', enum: ['pending', 'succeeded', 'failed'] },
      attempts: { type: 'integer' },
      last_status_code: { type: 'integer', nullable: true },
      last_error: nullableString('Why the last attempt failed.'),
      latency_ms: { type: 'integer', nullable: true },
      response_snippet: nullableString("The start of the receiver's answer (1 KB at most)."),
      created: time('First attempt.'),
      last_attempt_at: time('Last attempt.'),
      next_attempt_at: time('When the next attempt is due (pending only).', true),
    },
  },
  WebhookDeliveryPage: {
    type: 'object',
    properties: {
      deliveries: { type: 'array', items: ref('WebhookDelivery') },
      next_cursor: { type: 'string', description: 'For the next (older) page; absent on the last.' },
    },
  },
};
