import {
  Controller,
  Delete,
  Get,
  Inject,
  Logger,
  OnModuleDestroy,
  Post,
  Req,
  Res,
  SetMetadata,
  UseFilters,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { scimErrorResponse } from '../common/scim-openapi';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, REQUIRED_SCOPES, Resource } from '../auth/decorators';
import { Principal } from '../auth/principal';
import { resourceUrl } from '../auth/resources';
import { ScimHttpError } from '../common/scim-exception.filter';
import { APP_CONFIG, AppConfig } from '../config';
import { toAuthInfo } from './mcp-caller';
import { McpChallengeFilter } from './mcp-challenge.filter';
import { McpEndpoint, normaliseHeaders, responseShape } from './mcp-endpoint';
import { McpServerFactory } from './mcp-server.factory';

const STATELESS = 'The MCP endpoint is stateless: send every JSON-RPC message with POST (no SSE stream, no sessions).';

/**
 * `/v2/mcp`, the MCP resource. The global guard has already authenticated the bearer token
 * (401 with the RFC 9728 challenge otherwise) and checked that it was issued for this resource;
 * no scope is required to connect, since the tool list follows the token's scopes.
 */
@ApiTags('MCP')
@Resource('mcp')
// No scope to connect (not even the guard's method-based default): `@Scopes()` would say the same
// to the guard, but would document a 403 for a missing scope that never happens here.
@SetMetadata(REQUIRED_SCOPES, [])
@ApiBearerAuth()
@ApiResponse(
  scimErrorResponse(401, {
    headers: {
      'WWW-Authenticate':
        'Bearer resource_metadata="http://127.0.0.1:3000/.well-known/oauth-protected-resource/v2/mcp", scope="scim.read scim.write"',
    },
  }),
)
@UseFilters(McpChallengeFilter)
@Controller('v2/mcp')
export class McpController implements OnModuleDestroy {
  private readonly logger = new Logger('Mcp');
  private readonly endpoint: McpEndpoint;

  constructor(
    factory: McpServerFactory,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.endpoint = new McpEndpoint(
      (context) => factory.build(context),
      // Requests the SDK refused (mismatched headers, unknown versions) and transport failures end
      // up here; the client already has its answer (tool failures are logged where they happen).
      (error) => this.logger.debug({ err: error.message }, 'MCP request not served'),
    );
  }

  @Post()
  @ApiOperation({
    summary:
      'MCP Streamable HTTP endpoint (JSON-RPC), protocol revisions 2025-03-26 to 2026-07-28; see the README, "MCP".',
  })
  @ApiBody({ schema: { type: 'object', example: { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} } } })
  @ApiResponse({
    status: 200,
    description: 'A JSON-RPC response (application/json, or text/event-stream).',
    content: {
      'application/json': {
        schema: { type: 'object', properties: { jsonrpc: { type: 'string' }, id: {}, result: {}, error: {} } },
        example: { jsonrpc: '2.0', id: 1, result: { tools: [{ name: 'search_users' }] } },
      },
      'text/event-stream': { schema: { type: 'string' } },
    },
  })
  @ApiResponse({ status: 202, description: 'A notification was accepted.' })
  @ApiResponse(
    scimErrorResponse(403, {
      summary: 'An Origin that is not allowed',
      detail: 'Origin https://evil.example may not call the MCP endpoint (see MCP_ALLOWED_ORIGINS).',
    }),
  )
  async post(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const shape = responseShape(request.headers.accept);
    normaliseHeaders(request.raw.headers, request.body !== undefined && parsedAsJson(request.headers['content-type']));
    const authInfo = toAuthInfo(principal, bearerToken(request), resourceUrl(this.config, 'mcp'));
    // From here on the SDK writes the response on the raw Node objects; Fastify must not.
    reply.hijack();
    await this.endpoint.handle(Object.assign(request.raw, { auth: authInfo }), reply.raw, request.body, shape);
  }

  @Get()
  @ApiResponse(scimErrorResponse(405, { summary: 'The endpoint is stateless', detail: STATELESS }))
  @ApiOperation({ summary: 'Not supported (no standalone SSE stream): 401 without a token, 405 with one.' })
  get(): never {
    throw new ScimHttpError(405, STATELESS, { allow: 'POST' });
  }

  @Delete()
  @ApiResponse(scimErrorResponse(405, { summary: 'The endpoint is stateless', detail: STATELESS }))
  @ApiOperation({ summary: 'Not supported (no sessions to end): 401 without a token, 405 with one.' })
  delete(): never {
    throw new ScimHttpError(405, STATELESS, { allow: 'POST' });
  }

  async onModuleDestroy(): Promise<void> {
    await this.endpoint.close();
  }
}

/** Media types Roster's body parser reads as JSON (forms and images are parsed otherwise). */
function parsedAsJson(contentType: string | undefined): boolean {
  return contentType === undefined || /^(application\/([\w.+-]+\+)?json|text\/plain)\s*(;|$)/i.test(contentType);
}

/** The guard accepted exactly this header, so it is a Bearer token. */
function bearerToken(request: FastifyRequest): string {
  return (request.headers.authorization ?? '').replace(/^Bearer\s+/i, '').trim();
}
