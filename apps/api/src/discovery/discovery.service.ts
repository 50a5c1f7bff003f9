import { Inject, Injectable } from '@nestjs/common';
import {
  buildServiceProviderConfig,
  ResourceTypeResource,
  SchemaRegistry,
  SchemaResource,
  ScimError,
  ServiceProviderConfigResource,
} from '@roster/scim';
import { LIST_RESPONSE_SCHEMA } from '../common/paging';
import { APP_CONFIG, AppConfig } from '../config';
import { serviceFeatures } from '../features';

export interface ListResponse {
  schemas: string[];
  totalResults: number;
  itemsPerPage: number;
  startIndex: number;
  Resources: object[];
}

export function listResponse(resources: object[]): ListResponse {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: resources.length,
    itemsPerPage: resources.length,
    startIndex: 1,
    Resources: resources,
  };
}

/**
 * The ServiceProviderConfig is fixed for the life of the process, so it is rendered once; schemas
 * and resource types follow the registry, which runtime extensions (issue 15) change.
 */
@Injectable()
export class DiscoveryService {
  private readonly baseUrl: string;
  private readonly spc: ServiceProviderConfigResource;

  constructor(
    private readonly registry: SchemaRegistry,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.baseUrl = `${config.publicUrl}/v2`;
    this.spc = buildServiceProviderConfig(serviceFeatures(config), this.baseUrl);
  }

  serviceProviderConfig(): ServiceProviderConfigResource {
    return this.spc;
  }

  resourceTypes(): ListResponse {
    return listResponse(this.registry.resourceTypes().map((type) => this.resourceType(type.id)));
  }

  resourceType(id: string): ResourceTypeResource {
    const type = this.registry.resourceTypes().find((t) => t.id.toLowerCase() === id.toLowerCase());
    if (!type) {
      throw ScimError.notFound(`No resource type "${id}"; this server has User and Group.`);
    }
    return this.registry.resourceTypeResource(type.id, this.baseUrl);
  }

  schemas(): ListResponse {
    return listResponse([
      ...this.registry.schemas().map((schema) => this.schema(schema.id)),
      ...this.registry.openExtensionResources(this.baseUrl),
    ]);
  }

  schema(id: string): SchemaResource {
    const schema = this.registry.schema(id);
    if (!schema) {
      const open = this.registry
        .openExtensionResources(this.baseUrl)
        .find((s) => s.id.toLowerCase() === id.toLowerCase());
      if (open) return open;
      throw ScimError.notFound(`No schema "${id}".`);
    }
    return this.registry.schemaResource(schema.id, this.baseUrl);
  }
}
