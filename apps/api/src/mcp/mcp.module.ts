import { Module } from '@nestjs/common';
import { RateLimitsRepository } from '@roster/db';
import { DiscoveryModule } from '../discovery/discovery.module';
import { GroupsModule } from '../groups/groups.module';
import { UsersModule } from '../users/users.module';
import { McpController } from './mcp.controller';
import { McpDirectory } from './mcp-directory';
import { McpRateLimiter } from './mcp-rate-limiter';
import { McpServerFactory } from './mcp-server.factory';

/** The MCP endpoint at /v2/mcp: directory tools, resources and prompts for AI assistants (README, "MCP"). */
@Module({
  imports: [UsersModule, GroupsModule, DiscoveryModule],
  controllers: [McpController],
  providers: [McpDirectory, McpRateLimiter, McpServerFactory, RateLimitsRepository],
})
// The endpoint's origin check and CORS are a Fastify hook (mcp-origin.ts), registered by the bootstrap.
export class McpModule {}
