import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { PrismaService } from '@roster/db';
import { Public } from '../auth/decorators';
import { versionInfo } from '../ops/version';

@ApiTags('Operations')
@Public()
@Controller()
export class HealthController {
  constructor(private readonly prisma: PrismaService) {}

  @Get('health')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process is up.' })
  @ApiOkResponse({ schema: { example: { status: 'ok', version: '0.1.0' } } })
  health(): { status: string; version: string } {
    return { status: 'ok', version: versionInfo().version };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database answers.' })
  @ApiOkResponse({ schema: { example: { status: 'ready', database: 'postgres', version: '0.1.0' } } })
  @ApiServiceUnavailableResponse({ description: 'The database does not answer.' })
  async ready(): Promise<{ status: string; database: string; version: string }> {
    try {
      await this.prisma.ping();
    } catch {
      throw new ServiceUnavailableException('The database does not answer.');
    }
    return { status: 'ready', database: this.prisma.kind, version: versionInfo().version };
  }
}
