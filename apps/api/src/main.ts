import 'reflect-metadata';
import { createApp } from './bootstrap';
import { ConfigError, loadConfig } from './config';
import { AdminTokenService } from './auth/admin-token.service';
import { createLogger } from './logger';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const app = await createApp(config, { logger });
  await app.listen({ port: config.port, host: config.host });

  const generated = app.get(AdminTokenService).generatedToken;
  const lines = [
    `Roster is listening on ${config.publicUrl}`,
    `  SCIM base URL:  ${config.publicUrl}/v2`,
    `  API docs:       ${config.publicUrl}/docs`,
  ];
  if (generated) {
    lines.push(
      `  Admin token (shown once, stored only as a hash; set SCIM_ADMIN_TOKEN to choose your own):`,
      `    ${generated}`,
    );
  }
  process.stdout.write(`\n${lines.join('\n')}\n\n`);

  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) {
      return;
    }
    closing = true;
    logger.info({ signal }, 'Shutting down: no new connections; finishing in-flight requests.');
    const timer = setTimeout(() => {
      logger.error('Shutdown timed out; exiting.');
      process.exit(1);
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
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'Error during shutdown');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`Roster failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
