import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { chmodSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ALL_SCOPES, BearerStrategy, Principal } from '../auth/principal';
import { randomSecret, secretsEqual, sha256 } from '../auth/secrets';

/** Where a running service tells the command line how to reach it (next to its lock, mode 0600). */
export const LOCAL_CREDENTIAL_FILE = 'roster-cli.json';

export interface LocalCredential {
  url: string;
  token: string;
  pid: number;
}

/** The credential file of a directory, if there is a readable one. */
export function readLocalCredential(dataDir: string): LocalCredential | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(resolve(dataDir), LOCAL_CREDENTIAL_FILE), 'utf8')) as LocalCredential;
    return typeof parsed.url === 'string' && typeof parsed.token === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The command line's way into a running embedded service. Only one process may open the
 * embedded database, so while the service runs, `npm run cli` must ask it over the management
 * API instead. The service makes a fresh random credential at each start and writes it, with its
 * URL, into DATA_DIR with mode 0600: whoever can read the database files can use it, nobody else.
 * It is good for the management and SCIM APIs (not MCP) and dies with the process.
 */
@Injectable()
export class LocalCredentialService implements BearerStrategy, OnApplicationShutdown {
  readonly name = 'local-credential';
  private hash?: Buffer;
  private path?: string;

  /** Writes the credential for this process; called once the service listens. */
  publish(dataDir: string, url: string): string {
    const token = randomSecret('roster_local_');
    this.hash = sha256(token);
    const path = join(resolve(dataDir), LOCAL_CREDENTIAL_FILE);
    const temporary = `${path}.${process.pid}`;
    const body: LocalCredential = { url, token, pid: process.pid };
    writeFileSync(temporary, `${JSON.stringify(body)}\n`, { mode: 0o600 });
    // writeFileSync's mode is filtered by the umask; the file must be the owner's alone.
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
    this.path = path;
    return path;
  }

  authenticate(token: string): Promise<Principal | null> {
    if (!this.hash || !token.startsWith('roster_local_') || !secretsEqual(sha256(token), this.hash)) {
      return Promise.resolve(null);
    }
    return Promise.resolve({
      kind: 'admin',
      subject: 'local-cli',
      scopes: new Set(ALL_SCOPES),
      resources: new Set(['scim' as const]),
    });
  }

  onApplicationShutdown(): void {
    this.hash = undefined;
    if (this.path) {
      try {
        unlinkSync(this.path);
      } catch {
        // Already gone.
      }
      this.path = undefined;
    }
  }
}
