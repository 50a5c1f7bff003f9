import { Controller, Get, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { DATABASE, DatabaseHandle } from '@roster/db';
import { ScimError } from '@roster/scim';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { AdminTokenService } from '../auth/admin-token.service';
import { Public, Scopes } from '../auth/decorators';
import { versionInfo, VersionInfo } from './version';

@ApiTags('Operations')
@Controller()
export class VersionController {
  constructor(@Inject(DATABASE) private readonly database: DatabaseHandle) {}

  @Get('version')
  @Public()
  @ApiOperation({ summary: 'The running version of Roster, its Node.js version and database kind.' })
  @ApiOkResponse({ schema: { example: { name: 'roster', version: '0.1.0', node: '22.12.0', database: 'pglite' } } })
  version(): VersionInfo & { database: string } {
    return { ...versionInfo(), database: this.database.kind };
  }
}

@ApiTags('Administration')
@Scopes('roster.admin')
@Controller('admin')
export class OpsAdminController {
  constructor(
    private readonly adminTokens: AdminTokenService,
    @Inject(DATABASE) private readonly database: DatabaseHandle,
  ) {}

  @Post('admin-token/reset')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Replace the generated admin token: the new one is shown once, the old one stops working.',
  })
  @ApiCreatedResponse({ schema: { example: { token: 'roster_admin_…' } } })
  resetAdminToken(): Promise<{ token: string }> {
    return this.adminTokens.reset();
  }

  @Get('backup')
  @ApiOperation({
    summary:
      'A consistent copy of the embedded database (gzip tar of its data directory), taken while the service runs. ' +
      'On PostgreSQL, use pg_dump instead (409).',
  })
  @ApiProduces('application/gzip')
  @ApiOkResponse({ description: 'The archive; `npm run cli -- restore FILE` puts it back.' })
  async backup(@Res({ passthrough: true }) reply: FastifyReply): Promise<Readable> {
    if (!this.database.dump) {
      throw ScimError.conflict('This service runs on PostgreSQL: back it up with pg_dump (see the README, "Backup").');
    }
    const archive = await this.database.dump();
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    reply
      .header('content-type', 'application/gzip')
      .header('content-disposition', `attachment; filename="roster-backup-${stamp}.tar.gz"`)
      .header('cache-control', 'no-store');
    return Readable.fromWeb(archive.stream());
  }
}
