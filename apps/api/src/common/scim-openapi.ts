import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiQuery, ApiResponse } from '@nestjs/swagger';

/** Where the component schemas generated from the schema registry live (openapi-schemas.ts). */
export const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** An OpenAPI `content` entry for a SCIM document, typed by a component schema, with an example. */
export const scimContent = (example: object, schema = 'ScimResource') => ({
  'application/scim+json': { schema: schemaRef(schema), example },
});

export const ERROR_SCHEMA_URN = 'urn:ietf:params:scim:api:messages:2.0:Error';

interface ErrorExample {
  summary: string;
  scimType?: string;
  detail: string;
  /** Response headers the error comes with (401's challenge, 429's Retry-After). */
  headers?: Record<string, string>;
}

const CHALLENGE =
  'Bearer resource_metadata="http://127.0.0.1:3000/.well-known/oauth-protected-resource/v2", scope="scim.read"';

/** What Roster really answers, status by status (the texts are the services' own). */
export const ERROR_EXAMPLES: Record<number, ErrorExample> = {
  400: {
    summary: 'A value the schema refuses',
    scimType: 'invalidValue',
    detail: 'Attribute "userName" is required.',
  },
  401: {
    summary: 'No bearer token (the response carries WWW-Authenticate)',
    detail: 'Authentication required: send Authorization: Bearer <token>.',
    headers: { 'WWW-Authenticate': CHALLENGE },
  },
  403: {
    summary: 'The token lacks the scope the operation needs',
    detail: 'This token lacks the scope scim.write that the request needs.',
    headers: {
      'WWW-Authenticate':
        'Bearer error="insufficient_scope", scope="scim.write", resource_metadata="http://127.0.0.1:3000/.well-known/oauth-protected-resource/v2"',
    },
  },
  404: { summary: 'No such resource', detail: 'User 2819c223-7f76-453a-919d-413861904646 not found.' },
  409: {
    summary: 'A unique attribute is taken',
    scimType: 'uniqueness',
    detail: 'A resource with the same unique attribute already exists.',
  },
  412: {
    summary: 'If-Match names an older version',
    detail: 'The resource has changed: its current version is W/"3", not W/"2".',
  },
  413: {
    summary: 'The body is larger than the endpoint accepts',
    detail: 'The request body is larger than the 1048576 bytes this endpoint accepts.',
  },
  415: {
    summary: 'A body of a type the endpoint does not take',
    detail: 'Content-Type text/xml is not supported here.',
  },
  429: {
    summary: 'Too many requests (the response carries Retry-After)',
    detail: 'This token may make 600 requests a minute; retry in 12 s.',
    headers: { 'Retry-After': '12' },
  },
  500: {
    summary: 'A failure on the server side (the request id is in X-Request-Id)',
    detail: 'An unexpected error occurred (request id 7f1c7c2e-4c1d-4a53-9a9d-2a41d8d0e7b1).',
  },
};

/** The SCIM Error document (RFC 7644 §3.12) for a status, as an OpenAPI content entry with its real example. */
export function scimErrorContent(status: number, overrides: Partial<ErrorExample> = {}) {
  const example = { ...(ERROR_EXAMPLES[status] ?? { summary: 'Error', detail: 'The request failed.' }), ...overrides };
  return {
    'application/scim+json': {
      schema: schemaRef('Error'),
      examples: {
        [example.scimType ?? `status${status}`]: {
          summary: example.summary,
          value: {
            schemas: [ERROR_SCHEMA_URN],
            status: String(status),
            ...(example.scimType ? { scimType: example.scimType } : {}),
            detail: example.detail,
          },
        },
      },
    },
  };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request: the body, a filter, a path or a value is invalid (scimType says which).',
  401: 'Missing, invalid or expired bearer token; WWW-Authenticate says where to get one.',
  403: 'The token lacks a required scope.',
  404: 'The resource does not exist.',
  409: 'A unique attribute (userName, externalId, displayName) is taken.',
  412: 'If-Match did not match the current ETag.',
  405: 'The method is not supported on this endpoint (Allow lists the ones that are).',
  413: 'The body is larger than this endpoint accepts.',
  415: 'The body has a media type this endpoint does not take.',
  429: 'Too many requests; retry after Retry-After seconds.',
  500: 'Server error; nothing was changed by the failed step.',
};

/** One documented SCIM error response for a status: its schema, real example and headers. */
export function scimErrorResponse(status: number, overrides: Partial<ErrorExample> = {}) {
  const headers = { ...ERROR_EXAMPLES[status]?.headers, ...overrides.headers };
  return {
    status,
    description: STATUS_TEXT[status] ?? 'SCIM error (RFC 7644 §3.12).',
    content: scimErrorContent(status, overrides),
    ...(Object.keys(headers).length
      ? {
          headers: Object.fromEntries(
            Object.entries(headers).map(([name, value]) => [
              name,
              { schema: { type: 'string' as const }, example: value },
            ]),
          ),
        }
      : {}),
  };
}

/** The SCIM error responses every SCIM operation can give, plus the ones named (401 and 403 come with @Scopes). */
export const ScimErrors = (...statuses: number[]): MethodDecorator =>
  applyDecorators(
    ...[...new Set([400, 429, 500, ...statuses])]
      .sort((a, b) => a - b)
      .map((status) => ApiResponse(scimErrorResponse(status))),
  );

export const ProjectionQuery = (): MethodDecorator =>
  applyDecorators(
    ApiQuery({
      name: 'attributes',
      required: false,
      type: String,
      description: 'Comma-separated attributes to return (RFC 7644 §3.4.2.5), e.g. `userName,emails[type eq "work"]`.',
    }),
    ApiQuery({
      name: 'excludedAttributes',
      required: false,
      type: String,
      description: 'Comma-separated attributes to leave out.',
    }),
  );

export const ListQueries = (example: string): MethodDecorator =>
  applyDecorators(
    ApiQuery({ name: 'filter', required: false, type: String, description: 'RFC 7644 §3.4.2.2 filter.', example }),
    ApiQuery({ name: 'sortBy', required: false, type: String, description: 'Attribute to sort by, e.g. userName.' }),
    ApiQuery({ name: 'sortOrder', required: false, enum: ['ascending', 'descending'] }),
    ApiQuery({
      name: 'startIndex',
      required: false,
      description: '1-based index of the first result.',
      schema: { type: 'integer', minimum: 1 },
    }),
    ApiQuery({
      name: 'count',
      required: false,
      description: 'Page size (clamped to filter.maxResults).',
      schema: { type: 'integer', minimum: 0 },
    }),
    ApiQuery({
      name: 'cursor',
      required: false,
      type: String,
      description: 'RFC 9865 cursor; empty for the first page.',
    }),
    ProjectionQuery(),
  );

export const IfMatchHeader = (): MethodDecorator =>
  ApiHeader({
    name: 'If-Match',
    required: false,
    schema: { type: 'string', example: 'W/"3"' },
    description: 'Apply only if the resource still has this ETag (412 otherwise).',
  });

export const PreferHeader = (): MethodDecorator =>
  ApiHeader({
    name: 'Prefer',
    required: false,
    schema: { type: 'string', enum: ['return=minimal', 'return=representation'] },
    description: '`return=minimal` answers 204 without a body; `return=representation` answers with the resource.',
  });

/** A SCIM request body typed by a component schema, with its example. */
export const ScimBody = (schema: string, example: object): MethodDecorator =>
  ApiBody({ schema: schemaRef(schema), examples: { example: { summary: `A ${schema}`, value: example } } });
