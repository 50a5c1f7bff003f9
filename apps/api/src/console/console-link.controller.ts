import { Controller, Header, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Scopes } from '../auth/decorators';
import { ConsoleLinkService } from './console-link.service';

@ApiTags('Administration')
@Scopes('roster.admin')
@Controller('admin/console/links')
export class ConsoleLinkAdminController {
  constructor(private readonly links: ConsoleLinkService) {}

  @Post()
  @HttpCode(201)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'A one-time sign-in link to the console for the admin token holder (valid 10 minutes, used once).',
  })
  @ApiCreatedResponse({
    description: 'The link.',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: { url: { type: 'string', format: 'uri' }, expires_at: { type: 'string', format: 'date-time' } },
          required: ['url', 'expires_at'],
        },
        example: {
          url: 'http://127.0.0.1:3000/console/Link?code=Qm9vdHN0cmFwIGV4YW1wbGUgY29kZSBvbmx5IQ0Ks3cR3tT',
          expires_at: '2026-12-04T19:40:00.000Z',
        },
      },
    },
  })
  create(): Promise<{ url: string; expires_at: string }> {
    return this.links.create();
  }
}
