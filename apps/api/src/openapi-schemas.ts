import type { SchemaObject } from '@nestjs/swagger';
import {
  AttributeDefinition,
  ENTERPRISE_USER_SCHEMA,
  ERROR_SCHEMA,
  GROUP_SCHEMA,
  ResourceTypeName,
  SchemaDefinition,
  SchemaRegistry,
  USER_SCHEMA,
} from '@roster/scim';
import { LIST_RESPONSE_SCHEMA } from './common/paging';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Component names of the registry's schemas: the URN's last word, `EnterpriseUser` for the RFC's extension. */
export function componentName(schema: SchemaDefinition): string {
  if (schema.id === ENTERPRISE_USER_SCHEMA) {
    return 'EnterpriseUser';
  }
  return schema.name.replace(/[^A-Za-z0-9]/g, '');
}

/**
 * One RFC 7643 attribute as a JSON Schema. `readOnly` attributes are marked so (clients never
 * send them), `writeOnly` ones (password) so too, and `required` lists only what a client must
 * send: the registry's `required` less what the server assigns.
 */
function attributeSchema(attribute: AttributeDefinition): SchemaObject {
  const single = valueSchema(attribute);
  const schema: SchemaObject = attribute.multiValued ? { type: 'array', items: single } : single;
  if (attribute.description) {
    schema.description = attribute.description;
  }
  if (attribute.mutability === 'readOnly') {
    schema.readOnly = true;
  } else if (attribute.mutability === 'writeOnly') {
    schema.writeOnly = true;
  }
  return schema;
}

function valueSchema(attribute: AttributeDefinition): SchemaObject {
  switch (attribute.type) {
    case 'boolean':
      return { type: 'boolean' };
    case 'integer':
      return { type: 'integer' };
    case 'decimal':
      return { type: 'number' };
    case 'dateTime':
      return { type: 'string', format: 'date-time' };
    case 'binary':
      return { type: 'string', format: 'byte' };
    case 'reference':
      return { type: 'string', format: 'uri-reference' };
    case 'complex':
      return objectSchema(attribute.subAttributes ?? []);
    default:
      // Canonical values are suggestions (RFC 7643 §2.4): clients may send others, so no enum.
      return attribute.canonicalValues?.length
        ? { type: 'string', example: attribute.canonicalValues[0] }
        : { type: 'string' };
  }
}

function objectSchema(attributes: AttributeDefinition[]): SchemaObject {
  const required = attributes.filter((a) => a.required && a.mutability !== 'readOnly').map((a) => a.name);
  return {
    type: 'object',
    properties: Object.fromEntries(attributes.map((a) => [a.name, attributeSchema(a)])),
    ...(required.length ? { required } : {}),
  };
}

function resourceSchema(registry: SchemaRegistry, type: ResourceTypeName): SchemaObject {
  const core = registry.coreSchema(type);
  const body = objectSchema([...registry.commonAttributes(), ...core.attributes]);
  const extensions = registry.extensionSchemas(type);
  return {
    ...body,
    description: `${core.description} (${core.id}), generated from the schema registry.`,
    properties: {
      schemas: {
        type: 'array',
        items: { type: 'string' },
        description: `The schema URNs of the resource: ${[core.id, ...extensions.map((e) => e.id)].join(', ')}.`,
        example: [core.id],
      },
      ...body.properties,
      ...Object.fromEntries(extensions.map((e) => [e.id, ref(componentName(e))])),
    },
    required: ['schemas', ...(body.required ?? [])],
  };
}

function listResponse(resource: string | undefined): SchemaObject {
  return {
    type: 'object',
    description: `RFC 7644 §3.4.2 ListResponse${resource ? ` of ${resource} resources` : ''}; with a cursor, RFC 9865 cursors.`,
    properties: {
      schemas: { type: 'array', items: { type: 'string' }, example: [LIST_RESPONSE_SCHEMA] },
      totalResults: { type: 'integer', minimum: 0 },
      itemsPerPage: { type: 'integer', minimum: 0 },
      startIndex: { type: 'integer', minimum: 1 },
      nextCursor: { type: 'string' },
      previousCursor: { type: 'string' },
      Resources: { type: 'array', items: resource ? ref(resource) : { type: 'object' } },
    },
    required: ['schemas', 'totalResults'],
  };
}

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * The component schemas of the document: User, Group and their extensions generated from the
 * schema registry (so the document cannot disagree with /Schemas or with validation), and the
 * SCIM protocol messages around them.
 */
export function registryComponentSchemas(registry: SchemaRegistry): Record<string, SchemaObject> {
  const extensions = Object.fromEntries(
    registry
      .schemas()
      .filter((s) => s.id !== USER_SCHEMA && s.id !== GROUP_SCHEMA)
      .map((s) => [
        componentName(s),
        {
          ...objectSchema(s.attributes),
          description: `${s.description} (${s.id}), generated from the schema registry.`,
        },
      ]),
  );
  return {
    User: resourceSchema(registry, 'User'),
    Group: resourceSchema(registry, 'Group'),
    ...extensions,
    ScimResource: {
      description: 'A SCIM resource: a User or a Group.',
      oneOf: [ref('User'), ref('Group')],
    },
    PatchOperation: {
      type: 'object',
      properties: {
        op: {
          type: 'string',
          description: 'add, remove or replace (any case: Entra sends Add and Replace).',
          example: 'replace',
        },
        path: { type: 'string', description: 'An RFC 7644 §3.5.2 attribute path, e.g. members[value eq "…"].' },
        value: { description: 'The value to add or to replace with; absent for remove.' },
      },
      required: ['op'],
    },
    PatchOp: {
      type: 'object',
      description: 'RFC 7644 §3.5.2 PATCH request.',
      properties: {
        schemas: { type: 'array', items: { type: 'string' }, example: [PATCH_OP] },
        Operations: { type: 'array', items: ref('PatchOperation'), minItems: 1 },
      },
      required: ['schemas', 'Operations'],
    },
    ListResponse: listResponse(undefined),
    UserListResponse: listResponse('User'),
    GroupListResponse: listResponse('Group'),
    SearchRequest: {
      type: 'object',
      description: 'RFC 7644 §3.4.3 query by POST to .search.',
      properties: {
        schemas: {
          type: 'array',
          items: { type: 'string' },
          example: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        },
        attributes: { type: 'array', items: { type: 'string' } },
        excludedAttributes: { type: 'array', items: { type: 'string' } },
        filter: { type: 'string' },
        sortBy: { type: 'string' },
        sortOrder: { type: 'string', enum: ['ascending', 'descending'] },
        startIndex: { type: 'integer', minimum: 1 },
        count: { type: 'integer', minimum: 0 },
        cursor: { type: 'string' },
      },
      required: ['schemas'],
    },
    BulkOperation: {
      type: 'object',
      properties: {
        method: { type: 'string', enum: ['POST', 'PUT', 'PATCH', 'DELETE'] },
        bulkId: { type: 'string', description: 'Required for POST; other operations refer to it as bulkId:<id>.' },
        version: { type: 'string', description: 'An ETag the resource must still have (like If-Match).' },
        path: { type: 'string', example: '/Users' },
        data: { description: 'The resource (POST, PUT) or a PatchOp (PATCH).' },
      },
      required: ['method', 'path'],
    },
    BulkRequest: {
      type: 'object',
      description: 'RFC 7644 §3.7 bulk request.',
      properties: {
        schemas: {
          type: 'array',
          items: { type: 'string' },
          example: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        },
        failOnErrors: { type: 'integer', minimum: 1 },
        Operations: { type: 'array', items: ref('BulkOperation') },
      },
      required: ['schemas', 'Operations'],
    },
    BulkOperationResult: {
      type: 'object',
      properties: {
        method: { type: 'string' },
        bulkId: { type: 'string' },
        version: { type: 'string' },
        location: { type: 'string', format: 'uri' },
        status: { type: 'string', description: 'The HTTP status of the operation, e.g. "201".' },
        response: { ...ref('Error'), description: 'The error, for a failed operation.' },
      },
      required: ['method', 'status'],
    },
    BulkResponse: {
      type: 'object',
      description: 'RFC 7644 §3.7 bulk response.',
      properties: {
        schemas: {
          type: 'array',
          items: { type: 'string' },
          example: ['urn:ietf:params:scim:api:messages:2.0:BulkResponse'],
        },
        Operations: { type: 'array', items: ref('BulkOperationResult') },
      },
      required: ['schemas', 'Operations'],
    },
    Error: {
      type: 'object',
      description: 'RFC 7644 §3.12 error response.',
      properties: {
        schemas: { type: 'array', items: { type: 'string' }, example: [ERROR_SCHEMA] },
        status: { type: 'string', description: 'The HTTP status code, as a string.', example: '400' },
        scimType: {
          type: 'string',
          enum: [
            'invalidFilter',
            'tooMany',
            'uniqueness',
            'mutability',
            'invalidSyntax',
            'invalidPath',
            'noTarget',
            'invalidValue',
            'invalidVers',
            'sensitive',
            'invalidCursor',
            'expiredCursor',
          ],
        },
        detail: { type: 'string' },
      },
      required: ['schemas', 'status'],
    },
    ServiceProviderConfig: {
      type: 'object',
      description: 'RFC 7643 §5 ServiceProviderConfig.',
      additionalProperties: true,
      properties: {
        schemas: { type: 'array', items: { type: 'string' } },
        documentationUri: { type: 'string', format: 'uri' },
        patch: { type: 'object', properties: { supported: { type: 'boolean' } } },
        bulk: {
          type: 'object',
          properties: {
            supported: { type: 'boolean' },
            maxOperations: { type: 'integer' },
            maxPayloadSize: { type: 'integer' },
          },
        },
        filter: {
          type: 'object',
          properties: { supported: { type: 'boolean' }, maxResults: { type: 'integer' } },
        },
        changePassword: { type: 'object', properties: { supported: { type: 'boolean' } } },
        sort: { type: 'object', properties: { supported: { type: 'boolean' } } },
        etag: { type: 'object', properties: { supported: { type: 'boolean' } } },
        authenticationSchemes: { type: 'array', items: { type: 'object' } },
      },
      required: ['schemas'],
    },
  };
}
