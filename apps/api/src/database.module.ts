import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { DATABASE, DatabaseHandle, openDatabase, PrismaService, waitForPostgres } from '@roster/db';
import { APP_CONFIG, AppConfig } from './config';
import { Metrics } from './ops/metrics';
import { TelemetryModule } from './ops/telemetry.module';
import { combineObservers, tracingQueryObserver } from './ops/tracing';

/** What the start-up found, for the start-up log line. */
export class DatabaseReport {
  kind?: DatabaseHandle['kind'];
  description?: string;
  applied: string[] = [];
  alreadyApplied = 0;
}

export interface DatabaseModuleOptions {
  /** Named in the refusal another process gets while this one holds the embedded database. */
  lockPurpose?: 'service' | 'cli';
}

/** Opens the database named by the configuration and migrates it before anything uses it. */
@Global()
@Module({})
export class DatabaseModule {
  static register(options: DatabaseModuleOptions = {}): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [TelemetryModule],
      providers: [
        DatabaseReport,
        {
          provide: DATABASE,
          inject: [APP_CONFIG, DatabaseReport, Metrics],
          useFactory: async (config: AppConfig, report: DatabaseReport, metrics: Metrics): Promise<DatabaseHandle> => {
            const logger = new Logger('Database');
            const url = config.database.url?.trim();
            if (url && /^postgres(ql)?:\/\//i.test(url)) {
              // A PostgreSQL that accepts connections but never answers must not hold the start silently.
              await waitForPostgres(url, {
                timeoutMs: config.ops.connectTimeoutSeconds * 1000,
                attempts: config.ops.connectAttempts,
                onAttempt: ({ number, of, error, retryInMs }) =>
                  error
                    ? logger.warn(
                        { attempt: number, of, retryInMs, error: error.message },
                        `PostgreSQL did not answer (attempt ${number} of ${of})${retryInMs ? `; retrying in ${retryInMs} ms` : ''}.`,
                      )
                    : logger.log({ attempt: number, of }, `PostgreSQL answered (attempt ${number} of ${of}).`),
              });
            }
            const handle = await openDatabase({
              ...config.database,
              lockPurpose: options.lockPurpose ?? 'service',
              observer: combineObservers(metrics.queryObserver(), tracingQueryObserver()),
            });
            try {
              const result = await handle.migrate();
              Object.assign(report, {
                kind: handle.kind,
                description: handle.description,
                applied: result.applied,
                alreadyApplied: result.alreadyApplied,
              });
              logger.log(
                `Using ${handle.description}; ${result.applied.length} migration(s) applied, ${result.alreadyApplied} already in place.`,
              );
            } catch (error) {
              await handle.close();
              throw error;
            }
            return handle;
          },
        },
        PrismaService,
      ],
      exports: [PrismaService, DATABASE, DatabaseReport],
    };
  }
}
