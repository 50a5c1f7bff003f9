import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { DATABASE, DatabaseHandle, openDatabase, PrismaService } from '@roster/db';
import { APP_CONFIG, AppConfig } from './config';

/** Opens the database named by the configuration and migrates it before anything uses it. */
@Global()
@Module({})
export class DatabaseModule {
  static register(): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        {
          provide: DATABASE,
          inject: [APP_CONFIG],
          useFactory: async (config: AppConfig): Promise<DatabaseHandle> => {
            const logger = new Logger('Database');
            const handle = await openDatabase(config.database);
            const result = await handle.migrate();
            logger.log(
              `Using ${handle.description}; ${result.applied.length} migration(s) applied, ${result.alreadyApplied} already in place.`,
            );
            return handle;
          },
        },
        PrismaService,
      ],
      exports: [PrismaService],
    };
  }
}
