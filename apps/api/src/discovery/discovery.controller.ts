import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ResourceTypeResource, SchemaResource, ScimError, ServiceProviderConfigResource } from '@roster/scim';
import { Discovery } from '../auth/decorators';
import { scimContent, scimErrorResponse } from '../common/scim-openapi';
import { ScimEndpoint } from '../common/scim-response';
import { DiscoveryService, ListResponse } from './discovery.service';
import { RESOURCE_TYPES_EXAMPLE, SCHEMAS_EXAMPLE, SPC_EXAMPLE } from './discovery.examples';

const NoFilter = ApiQuery({
  name: 'filter',
  required: false,
  type: String,
  description: 'Not supported on discovery endpoints: a filter is answered with 403 (RFC 7644 §4).',
});

// Public by default; with DISCOVERY_PUBLIC=false any valid token may read them, hence the security entry.
@ApiTags('Discovery')
@ApiBearerAuth()
@ApiResponse({
  ...scimErrorResponse(401),
  description: 'Only when DISCOVERY_PUBLIC=false and no valid token was sent.',
})
@Discovery()
@ScimEndpoint()
@Controller()
export class DiscoveryController {
  constructor(private readonly discovery: DiscoveryService) {}

  @Get('v2/ServiceProviderConfig')
  @ApiOperation({ summary: 'What this server implements (RFC 7643 §5).' })
  @ApiOkResponse({
    description: 'RFC 7643 §5 ServiceProviderConfig',
    content: scimContent(SPC_EXAMPLE, 'ServiceProviderConfig'),
  })
  @NoFilter
  serviceProviderConfig(@Query('filter') filter?: string): ServiceProviderConfigResource {
    refuseFilter(filter);
    return this.discovery.serviceProviderConfig();
  }

  @Get('v2/ResourceTypes')
  @ApiOperation({ summary: 'The resource types: User, then Group (RFC 7643 §6).' })
  @ApiOkResponse({
    description: 'ListResponse of ResourceTypes',
    content: scimContent(RESOURCE_TYPES_EXAMPLE, 'ListResponse'),
  })
  @NoFilter
  resourceTypes(@Query('filter') filter?: string): ListResponse {
    refuseFilter(filter);
    return this.discovery.resourceTypes();
  }

  @Get('v2/ResourceTypes/:id')
  @ApiParam({ name: 'id', example: 'User' })
  @ApiOperation({ summary: 'One resource type.' })
  @ApiResponse(scimErrorResponse(404, { detail: 'No resource type "Device"; this server has User and Group.' }))
  resourceType(@Param('id') id: string): ResourceTypeResource {
    return this.discovery.resourceType(id);
  }

  @Get('v2/Schemas')
  @ApiOperation({ summary: 'Every schema: User, Group, EnterpriseUser and Roster extensions (RFC 7643 §7).' })
  @ApiOkResponse({ description: 'ListResponse of Schemas', content: scimContent(SCHEMAS_EXAMPLE, 'ListResponse') })
  @NoFilter
  schemas(@Query('filter') filter?: string): ListResponse {
    refuseFilter(filter);
    return this.discovery.schemas();
  }

  @Get('v2/Schemas/:id')
  @ApiParam({ name: 'id', example: 'urn:ietf:params:scim:schemas:core:2.0:User' })
  @ApiOperation({ summary: 'One schema by its URN.' })
  @ApiResponse(scimErrorResponse(404, { detail: 'No schema "urn:example:Device".' }))
  schema(@Param('id') id: string): SchemaResource {
    return this.discovery.schema(id);
  }
}

/** RFC 7644 §4: a filter on discovery endpoints gets 403, so no client believes it was applied. */
function refuseFilter(filter: string | undefined): void {
  if (filter !== undefined) {
    throw new ScimError(403, 'Discovery endpoints do not support filtering (RFC 7644 §4).');
  }
}
