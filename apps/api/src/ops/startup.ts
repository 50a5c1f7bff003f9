import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AddressInfo } from 'node:net';
import { ADMIN_TOKEN_RESET_HINT, AdminTokenService, AdminTokenState } from '../auth/admin-token.service';
import { AppConfig } from '../config';
import { DatabaseReport } from '../database.module';
import { LocalCredentialService } from './local-credential.service';

/** Whether the configuration names the embedded database on disk (the one that takes a directory lock). */
export function embeddedOnDisk(config: AppConfig): boolean {
  return !config.database.url?.trim();
}

export interface StartupState {
  /** Where the service listens, as a local client reaches it. */
  localUrl: string;
  adminToken: AdminTokenState;
  /** The local credential file the command line reads (embedded database on disk only). */
  credentialFile?: string;
  database: string;
  migrations: { applied: string[]; alreadyApplied: number };
  metrics: string;
}

/**
 * What happens once the service listens, and only then: the admin token is generated (so a start
 * that fails to bind never stores a token nobody saw), and the command line's local credential
 * is written next to the embedded database.
 */
export async function completeStartup(app: NestFastifyApplication, config: AppConfig): Promise<StartupState> {
  const address: AddressInfo | string | null = app.getHttpServer().address();
  const port = address && typeof address === 'object' ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const localUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const adminToken = await app.get(AdminTokenService).ensure();
  const credentialFile = embeddedOnDisk(config)
    ? app.get(LocalCredentialService).publish(config.database.dataDir, localUrl)
    : undefined;
  const report = app.get(DatabaseReport);
  const metrics = !config.ops.metrics.enabled
    ? 'off'
    : config.ops.metrics.port
      ? `http://${host.includes(':') ? `[${host}]` : host}:${config.ops.metrics.port}/metrics`
      : `${config.publicUrl}/metrics${config.ops.metrics.public ? '' : ' (scope roster.admin)'}`;
  return {
    localUrl,
    adminToken,
    credentialFile,
    database: report.description ?? 'unknown',
    migrations: { applied: report.applied, alreadyApplied: report.alreadyApplied },
    metrics,
  };
}

/** Once the banner with a generated token is out, the token counts as shown. */
export async function tokenShown(app: NestFastifyApplication, state: StartupState): Promise<void> {
  if (state.adminToken.kind === 'generated') {
    await app.get(AdminTokenService).markShown();
  }
}

/** The lines for people (stderr, never the JSON log on stdout); the token appears here and nowhere else. */
export function banner(config: AppConfig, state: StartupState): string {
  const lines = [
    `Roster is listening on ${config.publicUrl}`,
    `  SCIM base URL:  ${config.publicUrl}/v2`,
    `  API docs:       ${config.publicUrl}/docs`,
  ];
  if (state.adminToken.kind === 'generated') {
    lines.push(
      `  Admin token (shown once, stored only as a hash; set SCIM_ADMIN_TOKEN to choose your own):`,
      `    ${state.adminToken.token}`,
    );
  } else if (state.adminToken.kind === 'never-shown') {
    lines.push(`  ${ADMIN_TOKEN_RESET_HINT}`);
  }
  return `\n${lines.join('\n')}\n\n`;
}
