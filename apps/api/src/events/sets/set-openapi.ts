import type { SchemaObject } from '@nestjs/swagger';
import { DEFAULT_SCIM_EVENT_URIS, SCIM_EVENT_URIS } from '@roster/scim';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const str = (description?: string): SchemaObject => ({ type: 'string', ...(description ? { description } : {}) });

export const SET_RECEIVER_EXAMPLE = {
  id: '5b7a2f0e-3c1d-4e8f-9a6b-2d4c6e8f0a1b',
  name: 'HR replica',
  audience: 'https://hr.example.com/scim-events',
  events: [...DEFAULT_SCIM_EVENT_URIS],
  delivery: 'poll',
  enabled: true,
  poll_url: 'https://roster.example.com/v2/Events/Receivers/5b7a2f0e-3c1d-4e8f-9a6b-2d4c6e8f0a1b/Poll',
  created: '2026-12-06T10:00:00.000Z',
  last_poll_at: null,
  acked_through: '1042',
};

export const SET_POLL_REQUEST_EXAMPLE = {
  maxEvents: 50,
  returnImmediately: false,
  ack: ['3f1c9a2b7d4e6f080000000000000412'],
  setErrs: {
    '3f1c9a2b7d4e6f080000000000000413': { err: 'invalid_audience', description: 'Not for this receiver.' },
  },
};

export const SET_POLL_RESPONSE_EXAMPLE = {
  sets: {
    '3f1c9a2b7d4e6f080000000000000414':
      'eyJhbGciOiJFUzI1NiIsImtpZCI6IjFlN2YiLCJ0eXAiOiJzZWNldmVudCtqd3QifQ.eyJpc3MiOiJodHRwczovL3Jvc3Rlci5leGFtcGxlLmNvbSJ9.c2lnbmF0dXJl',
  },
  moreAvailable: true,
};

/** The SET receivers' management documents and the RFC 8936 poll bodies, as component schemas. */
export const SET_COMPONENT_SCHEMAS: Record<string, SchemaObject> = {
  SetReceiver: {
    type: 'object',
    description: 'A receiver of SCIM security events; `token` only in the answers to its creation and to a rotation.',
    properties: {
      id: str(),
      name: str(),
      audience: str('The aud claim of its SETs.'),
      events: { type: 'array', items: { type: 'string', enum: [...SCIM_EVENT_URIS] } },
      delivery: { type: 'string', enum: ['poll'] },
      enabled: { type: 'boolean' },
      poll_url: { type: 'string', format: 'uri' },
      created: { type: 'string', format: 'date-time' },
      last_poll_at: { type: 'string', format: 'date-time', nullable: true },
      acked_through: str('Every feed position up to this one is acknowledged (or not one of its events).'),
      acks_ahead: { type: 'integer', description: 'Acknowledgements recorded above acked_through.' },
      errors: {
        type: 'array',
        description: 'The latest SETs the receiver reported it could not accept (setErrs), newest first.',
        items: {
          type: 'object',
          properties: {
            jti: str(),
            err: str(),
            description: { type: 'string', nullable: true },
            time: { type: 'string', format: 'date-time' },
          },
        },
      },
      token: str('The poll token, shown once.'),
    },
    required: ['id', 'name', 'audience', 'events', 'delivery', 'enabled', 'poll_url'],
  },
  SetReceiverList: {
    type: 'object',
    properties: { receivers: { type: 'array', items: ref('SetReceiver') } },
    required: ['receivers'],
  },
  SetPollRequest: {
    type: 'object',
    description: 'RFC 8936 §2.2 poll request.',
    properties: {
      maxEvents: { type: 'integer', minimum: 0, description: '0: acknowledge only.' },
      returnImmediately: { type: 'boolean', default: false, description: 'false: a long poll.' },
      ack: { type: 'array', items: str(), maxItems: 1000, description: 'jtis of SETs received and kept.' },
      setErrs: {
        type: 'object',
        description: 'jti → error of SETs the receiver could not accept; settled like acknowledged ones.',
        additionalProperties: {
          type: 'object',
          properties: { err: str(), description: str() },
          required: ['err'],
        },
      },
    },
  },
  SetPollResponse: {
    type: 'object',
    description: 'RFC 8936 §2.3 poll response: SETs (compact JWS, typ secevent+jwt) by jti.',
    properties: {
      sets: { type: 'object', additionalProperties: str() },
      moreAvailable: { type: 'boolean' },
    },
    required: ['sets'],
  },
  SetError: {
    type: 'object',
    description: 'An RFC 8936 error response (the RFC 8935 §2.4 members).',
    properties: { err: str(), description: str() },
    required: ['err', 'description'],
  },
};
