import { McpRequestContext, McpServer } from '@modelcontextprotocol/server';
import { Injectable } from '@nestjs/common';
import { SchemaRegistry } from '@roster/scim';
import { DiscoveryService } from '../discovery/discovery.service';
import { EventsService } from '../events/events.service';
import { callerOf } from './mcp-caller';
import { McpDirectory } from './mcp-directory';
import { McpRateLimiter } from './mcp-rate-limiter';
import { Metrics } from '../ops/metrics';
import { registerDirectoryTemplates, registerDiscoveryResources, registerPrompts } from './resources';
import { registerRecentChangesTool } from './recent-changes.tool';
import { registerReadTools, registerWriteTools, ToolContext } from './tools';

/** Array elements and object members one tool call's arguments may hold (100 member ids are ~200). */
const MAX_INPUT_ELEMENTS = 5_000;

export const SERVER_INFO = { name: 'roster', title: 'Roster directory', version: '1.0.0' };

const INSTRUCTIONS = `Roster is a SCIM 2.0 directory of users and groups.
Find people with search_users (free text or a SCIM filter) and groups with search_groups; read one with get_user / get_group.
Lists are paged: pass nextCursor back unchanged to continue. Groups can be very large: get_group shows the first members, list_group_members pages through the rest.
Every change goes through the same validation as the SCIM API. Read a resource first and pass its etag as if_match to avoid overwriting someone else's change.
Which tools are listed depends on the token: change tools (create_user, update_user, deactivate_user, reactivate_user, create_group, add_group_members, remove_group_members) need the scim.write scope; whoami shows the scopes.
The SCIM schemas and the ServiceProviderConfig are resources (roster://scim/...).`;

/**
 * Builds the MCP server for one request, shaped by the caller's scopes: read tools and the
 * user/group templates with scim.read, change tools with scim.write. The SDK calls this once per
 * HTTP request (stateless), for either protocol era.
 */
@Injectable()
export class McpServerFactory {
  constructor(
    private readonly directory: McpDirectory,
    private readonly limiter: McpRateLimiter,
    private readonly discovery: DiscoveryService,
    private readonly registry: SchemaRegistry,
    private readonly metrics: Metrics,
    private readonly events: EventsService,
  ) {}

  build(request: McpRequestContext): McpServer {
    const caller = callerOf(request.authInfo);
    const server = new McpServer(SERVER_INFO, {
      instructions: INSTRUCTIONS,
      // The lists never change while a request runs; no notifications are sent.
      capabilities: {
        tools: { listChanged: false },
        resources: { listChanged: false },
        prompts: { listChanged: false },
      },
      // Arguments are bounded by their schemas too; this stops a huge payload before validation walks it.
      maxToolInputElements: MAX_INPUT_ELEMENTS,
    });
    const context: ToolContext = { caller, directory: this.directory, limiter: this.limiter, metrics: this.metrics };
    const canRead = caller.has('scim.read');
    const canWrite = caller.has('scim.write');
    if (canRead) {
      registerReadTools(server, context);
      registerRecentChangesTool(server, context, this.events);
    }
    if (canWrite) {
      registerWriteTools(server, context);
    }
    registerDiscoveryResources(
      server,
      this.discovery,
      this.registry.schemas().map((schema) => ({ id: schema.id, name: schema.name })),
    );
    if (canRead) {
      registerDirectoryTemplates(server, context);
      registerPrompts(server, canWrite);
    }
    return server;
  }
}
