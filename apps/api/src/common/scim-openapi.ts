import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiQuery, ApiResponse } from '@nestjs/swagger';

/** An OpenAPI `content` entry for a SCIM document with an example. */
export const scimContent = (example: object) => ({
  'application/scim+json': { schema: { type: 'object' as const }, example },
});

export const ERROR_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
  status: '400',
  scimType: 'invalidFilter',
  detail: 'Expected a comparison operator after "userName" at position 9',
};

/** The SCIM error responses every protected SCIM operation can give. */
export const ScimErrors = (...statuses: number[]): MethodDecorator =>
  applyDecorators(
    ApiExtraModels(),
    ...[...new Set([400, 401, 403, 500, ...statuses])].map((status) =>
      ApiResponse({
        status,
        description: `SCIM error (RFC 7644 §3.12)`,
        content: {
          'application/scim+json': {
            schema: { type: 'object' },
            example: { ...ERROR_EXAMPLE, status: String(status) },
          },
        },
      }),
    ),
  );

export const ProjectionQuery = (): MethodDecorator =>
  applyDecorators(
    ApiQuery({
      name: 'attributes',
      required: false,
      description: 'Comma-separated attributes to return (RFC 7644 §3.4.2.5), e.g. `userName,emails[type eq "work"]`.',
    }),
    ApiQuery({ name: 'excludedAttributes', required: false, description: 'Comma-separated attributes to leave out.' }),
  );

export const ListQueries = (example: string): MethodDecorator =>
  applyDecorators(
    ApiQuery({ name: 'filter', required: false, description: 'RFC 7644 §3.4.2.2 filter.', example }),
    ApiQuery({ name: 'sortBy', required: false }),
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
    ApiQuery({ name: 'cursor', required: false, description: 'RFC 9865 cursor; empty for the first page.' }),
    ProjectionQuery(),
  );

export const IfMatchHeader = (): MethodDecorator =>
  ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'Apply only if the resource still has this ETag (412 otherwise).',
  });

export const PreferHeader = (): MethodDecorator =>
  ApiHeader({
    name: 'Prefer',
    required: false,
    description: '`return=minimal` answers 204 without a body; `return=representation` answers with the resource.',
  });
