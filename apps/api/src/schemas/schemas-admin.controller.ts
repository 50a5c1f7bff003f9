import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ScimError } from '@roster/scim';
import { Scopes } from '../auth/decorators';
import { BodyLimit } from '../common/body-limit';
import { SchemaExtensionsService, SchemaExtensionView } from './schema-extensions.service';

/** An extension schema is a few kilobytes; 64 KiB leaves room for long descriptions. */
export const SCHEMA_BODY_LIMIT = 64 * 1024;

const EXAMPLE = {
  id: 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User',
  name: 'CustomExtensionName',
  description: 'Attributes the identity provider maps to custom fields',
  resourceType: 'User',
  required: false,
  attributes: [
    { name: 'costCenter', type: 'string', caseExact: false, uniqueness: 'none' },
    { name: 'badgeNumber', type: 'integer', uniqueness: 'server' },
    { name: 'remote', type: 'boolean' },
  ],
};

const limit = BodyLimit({
  bytes: () => SCHEMA_BODY_LIMIT,
  detail: (bytes) => `An extension schema may be at most ${bytes} bytes.`,
});

/** Runtime extension schemas (issue 15). Bodies are RFC 7643 §7 schema resources plus resourceType and required. */
@ApiTags('Administration')
@Scopes('roster.admin')
@Controller('admin/schemas')
export class SchemasAdminController {
  constructor(private readonly schemas: SchemaExtensionsService) {}

  @Post()
  @HttpCode(201)
  @limit
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Register an extension schema; every instance serves it within a few seconds.' })
  @ApiBody({ schema: { type: 'object', example: EXAMPLE } })
  @ApiOkResponse({ description: 'The registered extension.' })
  register(@Body() body: unknown): Promise<SchemaExtensionView> {
    return this.schemas.register(body);
  }

  @Get()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'List the registered extension schemas.' })
  async list(): Promise<{ schemas: SchemaExtensionView[] }> {
    return { schemas: await this.schemas.list() };
  }

  @Get(':urn')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'One registered extension schema.' })
  @ApiParam({ name: 'urn', example: EXAMPLE.id })
  get(@Param('urn') urn: string): Promise<SchemaExtensionView> {
    return this.schemas.get(urn);
  }

  @Put(':urn')
  @limit
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Change an extension schema: compatible changes only (new optional attributes, relaxed characteristics).',
  })
  @ApiParam({ name: 'urn', example: EXAMPLE.id })
  @ApiBody({ schema: { type: 'object', example: EXAMPLE } })
  replace(@Param('urn') urn: string, @Body() body: unknown): Promise<SchemaExtensionView> {
    return this.schemas.replace(urn, body);
  }

  @Delete(':urn')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove an extension schema; refused while resources hold its values, unless purge=true removes them.',
  })
  @ApiParam({ name: 'urn', example: EXAMPLE.id })
  @ApiQuery({ name: 'purge', required: false, enum: ['true', 'false'] })
  async remove(@Param('urn') urn: string, @Query('purge') purge?: string): Promise<void> {
    if (purge !== undefined && purge !== 'true' && purge !== 'false') {
      throw ScimError.badRequest('invalidValue', 'purge must be true or false');
    }
    await this.schemas.remove(urn, purge === 'true');
  }
}
