import 'reflect-metadata';
import { DataDirLockedError } from '@roster/db';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ADMIN_TOKEN_RESET_HINT } from './auth/admin-token.service';
import { createApp } from './bootstrap';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { readDotEnv } from './ops/dotenv';
import { EXIT } from './ops/exit-codes';
import { banner, completeStartup, tokenShown } from './ops/startup';
import { startTracing } from './ops/tracing';
import { versionInfo } from './ops/version';

async function main(): Promise<void> {
  const dotenv = readDotEnv(process.env);
  // Libraries that read their own variables (OTEL_*, PG*) see the file's too; the environment still wins.
  for (const name of dotenv.applied) {
    process.env[name] = dotenv.env[name];
  }
  let config;
  try {
    config = loadConfig(dotenv.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(EXIT.config);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, undefined, { format: config.ops.logFormat });
  if (dotenv.file) {
    logger.info(
      { file: dotenv.file, variables: dotenv.applied },
      'Read configuration from .env (the environment wins).',
    );
  }
  // Before anything that should be traced is loaded; off unless OTEL_* variables ask for it.
  const tracing = await startTracing(dotenv.env, logger);
  let app: NestFastifyApplication;
  try {
    app = await createApp(config, { logger });
  } catch (error) {
    if (error instanceof DataDirLockedError || (error as Error)?.name === 'DataDirLockedError') {
      logger.fatal(
        { dataDir: (error as DataDirLockedError).dir },
        'The embedded database is in use by another process.',
      );
      process.stderr.write(`\n${(error as Error).message}\n\n`);
      process.exit(EXIT.unavailable);
    }
    throw error;
  }

  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) {
      // `npm start` and the terminal both pass Ctrl+C on: the second signal must not cut the drain short.
      logger.info({ signal }, 'Already shutting down.');
      return;
    }
    closing = true;
    const started = Date.now();
    logger.info({ signal }, 'Shutting down: no new connections; finishing in-flight requests.');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'Shutdown timed out; exiting.');
      logger.flush(() => process.exit(1));
    }, config.shutdownTimeoutMs);
    timer.unref();
    // A keep-alive connection whose request is still running when the server closes becomes idle
    // only afterwards, and would hold the close open until its keep-alive timeout (72 s): close
    // such connections as soon as their response is done.
    const server = app.getHttpServer();
    const reaper = setInterval(() => server.closeIdleConnections(), 50);
    reaper.unref();
    app
      .close()
      .then(() => tracing.shutdown())
      .then(() => {
        logger.info({ signal, durationMs: Date.now() - started }, 'Roster stopped.');
        logger.flush(() => process.exit(0));
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'Error during shutdown');
        logger.flush(() => process.exit(1));
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    logger.fatal({ err: error, host: config.host, port: config.port }, 'Could not listen.');
    process.stderr.write(
      `Roster could not listen on ${config.host}:${config.port}: ${(error as Error).message}` +
        `${(error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? ' (set PORT to a free port)' : ''}\n`,
    );
    await app.close().catch(() => undefined);
    process.exit(1);
  }
  const state = await completeStartup(app, config);
  // People read the banner on the terminal; the JSON log on stdout stays machine-readable.
  process.stderr.write(banner(config, state));
  await tokenShown(app, state);
  if (state.adminToken.kind === 'never-shown') {
    logger.warn(ADMIN_TOKEN_RESET_HINT);
  }
  logger.info(
    {
      node: process.versions.node,
      database: state.database,
      migrations: state.migrations,
      url: config.publicUrl,
      listening: state.localUrl,
      tracing: tracing.enabled,
      metrics: state.metrics,
    },
    `Roster ${versionInfo().version} listening on ${config.publicUrl}`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`Roster failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
