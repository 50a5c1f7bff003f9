import { buildServiceProviderConfig, SchemaRegistry } from '@roster/scim';
import { loadConfig } from '../config';
import { serviceFeatures } from '../features';

// OpenAPI examples are rendered by the same code that serves the documents, so they cannot drift.
const registry = new SchemaRegistry();
const config = loadConfig({});
const base = `${config.publicUrl}/v2`;

export const SPC_EXAMPLE = buildServiceProviderConfig(serviceFeatures(config), base);
export const RESOURCE_TYPES_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
  totalResults: registry.resourceTypes().length,
  itemsPerPage: registry.resourceTypes().length,
  startIndex: 1,
  Resources: registry.resourceTypes().map((type) => registry.resourceTypeResource(type.id, base)),
};
export const SCHEMAS_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
  totalResults: registry.schemas().length,
  itemsPerPage: registry.schemas().length,
  startIndex: 1,
  Resources: registry
    .schemas()
    .slice(0, 1)
    .map((schema) => registry.schemaResource(schema.id, base)),
};
