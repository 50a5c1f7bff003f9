import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { SettingsRepository } from '@roster/db';
import { SchemaRegistry } from '@roster/scim';
import { AuthModule } from './auth/auth.module';
import { BulkModule } from './bulk/bulk.module';
import { CURSOR_CODEC_PROVIDER, CursorCodec } from './common/cursors';
import { RouteTable } from './common/route-table';
import { ScimExceptionFilter } from './common/scim-exception.filter';
import { APP_CONFIG, AppConfig } from './config';
import { DatabaseModule } from './database.module';
import { DiscoveryModule } from './discovery/discovery.module';
import { EventsCoreModule } from './events/events-core.module';
import { EventsModule } from './events/events.module';
import { SetsModule } from './events/sets/sets.module';
import { HealthController } from './health/health.controller';
import { ConsoleModule } from './console/console.module';
import { LandingModule } from './landing/landing.module';
import { McpModule } from './mcp/mcp.module';
import { MeModule } from './me/me.module';
import { OpsModule } from './ops/ops.module';
import { GroupsModule } from './groups/groups.module';
import { SearchModule } from './search/search.module';
import { UsersModule } from './users/users.module';
import { SchemasModule } from './schemas/schemas.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { RequestLogModule } from './request-log/request-log.module';

@Module({})
export class AppModule {
  /** The whole application for one configuration; tests build it exactly as production does. */
  static register(config: AppConfig, routes: RouteTable = new RouteTable()): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        DatabaseModule.register(),
        EventsCoreModule,
        AuthModule,
        DiscoveryModule,
        LandingModule,
        ConsoleModule,
        UsersModule,
        GroupsModule,
        SearchModule,
        BulkModule,
        MeModule,
        McpModule,
        EventsModule,
        OpsModule,
        SchemasModule,
        SetsModule,
        WebhooksModule,
        RequestLogModule,
      ],
      controllers: [HealthController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: RouteTable, useValue: routes },
        { provide: SchemaRegistry, useValue: new SchemaRegistry() },
        SettingsRepository,
        CURSOR_CODEC_PROVIDER,
        { provide: APP_FILTER, useClass: ScimExceptionFilter },
      ],
      exports: [APP_CONFIG, RouteTable, SchemaRegistry, SettingsRepository, CursorCodec],
    };
  }
}
