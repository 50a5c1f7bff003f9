import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { RateLimitsRepository } from '@roster/db';
import { DiscoveryModule } from '../discovery/discovery.module';
import { GroupsModule } from '../groups/groups.module';
import { UsersModule } from '../users/users.module';
import { McpController } from './mcp.controller';
import { McpDirectory } from './mcp-directory';
import { McpOriginMiddleware } from './mcp-origin.middleware';
import { McpRateLimiter } from './mcp-rate-limiter';
import { McpServerFactory } from './mcp-server.factory';

/** The MCP endpoint at /v2/mcp: directory tools, resources and prompts for AI assistants (README, "MCP"). */
@Module({
  imports: [UsersModule, GroupsModule, DiscoveryModule],
  controllers: [McpController],
  providers: [McpDirectory, McpRateLimiter, McpServerFactory, RateLimitsRepository],
})
export class McpModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(McpOriginMiddleware).forRoutes({ path: 'v2/mcp', method: RequestMethod.ALL });
  }
}
