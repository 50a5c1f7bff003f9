import { Controller, Get, Headers, Inject, Req, Res } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PrismaService } from '@roster/db';
import { ScimError } from '@roster/scim';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthGuard } from '../auth/auth.guard';
import { Discovery, Public } from '../auth/decorators';
import { sendPage } from '../auth/login/html';
import { resourceUrl } from '../auth/resources';
import { SCIM_CONTENT_TYPE } from '../common/http';
import { scimContent, scimErrorContent } from '../common/scim-openapi';
import { APP_CONFIG, AppConfig } from '../config';
import { SPC_EXAMPLE } from '../discovery/discovery.examples';
import { DiscoveryService } from '../discovery/discovery.service';
import { versionInfo } from '../ops/version';
import { prefersHtml } from './accept';
import { landingPage } from './landing.page';

/** Carries the discovery marking that root() hands to the guard for SCIM clients. */
@Discovery()
class DiscoveryRoute {}

/** A ping that takes longer than this counts as "not ready" on the page. */
const PING_MS = 2_000;

/** What `GET /v2` lists for a SCIM client that took the base URL for a resource. */
export const RESOURCE_ENDPOINTS = [
  '/v2/Users',
  '/v2/Groups',
  '/v2/Bulk',
  '/v2/Me',
  '/v2/ServiceProviderConfig',
  '/v2/ResourceTypes',
  '/v2/Schemas',
];

/**
 * `/` and `/v2` answer people and programs differently: a browser (Accept: text/html) gets a small
 * page, a SCIM client the ServiceProviderConfig at `/` (as RFC 7644 discovery roots do) and a SCIM
 * 404 that names the resource endpoints at `/v2`. The page is public even when discovery is not:
 * it shows URLs and health only, which `/health` and `/ready` show anyway.
 */
@ApiTags('Discovery')
@Controller()
export class LandingController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly discovery: DiscoveryService,
    private readonly prisma: PrismaService,
    private readonly moduleRef: ModuleRef,
  ) {}

  @Get()
  @Public()
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'API root: the ServiceProviderConfig; a browser (Accept: text/html) gets the landing page instead.',
  })
  @ApiOkResponse({
    description: 'RFC 7643 §5 ServiceProviderConfig, or the landing page for Accept: text/html.',
    content: { ...scimContent(SPC_EXAMPLE, 'ServiceProviderConfig'), 'text/html': { schema: { type: 'string' } } },
  })
  @ApiResponse({
    status: 401,
    description: 'Only when DISCOVERY_PUBLIC=false and no valid token was sent (not for a browser).',
    content: scimErrorContent(401),
  })
  async root(
    @Headers('accept') accept: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    if (prefersHtml(accept)) {
      return this.page(reply);
    }
    // The same decision the guard takes for /v2/ServiceProviderConfig.
    await this.moduleRef.get(AuthGuard, { strict: false }).authorize(request, [DiscoveryRoute, LandingController]);
    return reply
      .headers({ 'content-type': SCIM_CONTENT_TYPE, vary: 'Accept' })
      .send(JSON.stringify(this.discovery.serviceProviderConfig()));
  }

  @Get('v2')
  @Public()
  @ApiOperation({
    summary: 'The SCIM base URL: a browser gets the landing page; a SCIM client a 404 that lists the endpoints.',
  })
  @ApiOkResponse({ description: 'The landing page (Accept: text/html).', content: { 'text/html': {} } })
  @ApiResponse({
    status: 404,
    description: 'Not a resource; the detail lists the resource endpoints.',
    content: scimErrorContent(404, { detail: baseUrlDetail() }),
  })
  async base(@Headers('accept') accept: string | undefined, @Res() reply: FastifyReply): Promise<FastifyReply> {
    if (prefersHtml(accept)) {
      return this.page(reply);
    }
    throw ScimError.notFound(baseUrlDetail());
  }

  private async page(reply: FastifyReply): Promise<FastifyReply> {
    reply.header('vary', 'Accept');
    return sendPage(
      reply,
      landingPage({
        version: versionInfo().version,
        scimBaseUrl: resourceUrl(this.config, 'scim'),
        mcpUrl: resourceUrl(this.config, 'mcp'),
        ready: await this.ping(),
        database: this.prisma.kind,
        consoleUrl: '/console',
      }),
    );
  }

  private async ping(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.prisma.ping().then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), PING_MS);
        }),
      ]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}

function baseUrlDetail(): string {
  return `/v2 is the SCIM base URL, not a resource. The resource endpoints are ${RESOURCE_ENDPOINTS.join(', ')}.`;
}
