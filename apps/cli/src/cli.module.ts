import { DynamicModule, Module } from '@nestjs/common';
import { BrowserSessionsRepository, SettingsRepository } from '@roster/db';
import { SchemaRegistry } from '@roster/scim';
import { AdminTokenService } from '../../api/src/auth/admin-token.service';
import { AuthCoreModule } from '../../api/src/auth/auth-core.module';
import { CURSOR_CODEC_PROVIDER, CursorCodec } from '../../api/src/common/cursors';
import { APP_CONFIG, AppConfig } from '../../api/src/config';
import { ConsoleLinkService } from '../../api/src/console/console-link.service';
import { DatabaseModule } from '../../api/src/database.module';
import { EventsCoreModule } from '../../api/src/events/events-core.module';
import { GroupsModule } from '../../api/src/groups/groups.module';
import { UsersModule } from '../../api/src/users/users.module';
import { SchemasModule } from '../../api/src/schemas/schemas.module';
import { SetsCoreModule } from '../../api/src/events/sets/sets-core.module';
import { WebhooksCoreModule } from '../../api/src/webhooks/webhooks-core.module';

/** The services the command line needs, over the configured database, without HTTP. */
@Module({})
export class CliModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      global: true,
      imports: [
        DatabaseModule.register({ lockPurpose: 'cli' }),
        EventsCoreModule,
        AuthCoreModule,
        UsersModule,
        GroupsModule,
        SchemasModule,
        SetsCoreModule,
        WebhooksCoreModule,
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: SchemaRegistry, useValue: new SchemaRegistry() },
        AdminTokenService,
        SettingsRepository,
        BrowserSessionsRepository,
        ConsoleLinkService,
        CURSOR_CODEC_PROVIDER,
      ],
      exports: [APP_CONFIG, SchemaRegistry, SettingsRepository, CursorCodec],
    };
  }
}
