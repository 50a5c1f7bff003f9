import { DynamicModule, Module } from '@nestjs/common';
import { AuthCoreModule } from '../../api/src/auth/auth-core.module';
import { APP_CONFIG, AppConfig } from '../../api/src/config';
import { DatabaseModule } from '../../api/src/database.module';

/** The services the command line needs, over the configured database, without HTTP. */
@Module({})
export class CliModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      global: true,
      imports: [DatabaseModule.register(), AuthCoreModule],
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
