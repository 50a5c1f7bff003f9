import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Scopes } from '../decorators';
import { GrantView, UserGrantsService } from './user-grants.service';
import { jsonContent } from '../../openapi-oauth-schemas';

const GRANT_EXAMPLE: GrantView = {
  id: '5f0c2a4e-9d0b-4c3e-8f51-3b8e2f7d9a10',
  client_id: 'b3c1f4d2-7a8e-4f60-9c2d-1e5a6b7c8d9e',
  client_name: 'Claude',
  dynamic: true,
  user_id: '2819c223-7f76-453a-919d-413861904646',
  scope: 'scim.read',
  resource: 'mcp',
  created: '2026-12-01T09:00:00.000Z',
  last_used_at: '2026-12-01T10:00:00.000Z',
  expires_at: '2027-03-01T09:00:00.000Z',
};

@ApiTags('Administration')
@Scopes('roster.admin')
@Controller('admin/grants')
export class GrantsAdminController {
  constructor(private readonly grants: UserGrantsService) {}

  @Get()
  @ApiOperation({ summary: 'The grants users gave OAuth clients (signed-in access with its refresh tokens).' })
  @ApiQuery({ name: 'user', required: false, type: String, description: 'Only this user id.' })
  @ApiQuery({ name: 'client', required: false, type: String, description: 'Only this client id.' })
  @ApiOkResponse({ description: 'The grants.', content: jsonContent('GrantList', { grants: [GRANT_EXAMPLE] }) })
  async list(@Query('user') user?: string, @Query('client') client?: string): Promise<{ grants: GrantView[] }> {
    return { grants: await this.grants.list({ userId: user, clientId: client }) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Revoke a grant: its refresh tokens stop at once, its access tokens within 30 seconds; the consent is forgotten.',
  })
  @ApiParam({ name: 'id', example: GRANT_EXAMPLE.id })
  @ApiNoContentResponse({ description: 'Revoked.' })
  async revoke(@Param('id') id: string): Promise<void> {
    await this.grants.revoke(id);
  }
}
