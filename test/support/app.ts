import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AddressInfo, createServer } from 'node:net';
import pino from 'pino';
import { createApp } from '../../apps/api/src/bootstrap';
import { AppConfig, loadConfig } from '../../apps/api/src/config';
import { createLogger } from '../../apps/api/src/logger';
import { completeStartup, StartupState } from '../../apps/api/src/ops/startup';
import { createTestDatabase, TestDatabase, testDatabaseKind } from './database';
import { migratedTemplate } from './template';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface HttpResponse<T = any> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is (string or bytes) instead of JSON-encoding `body`. */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
  /** `null` sends no Authorization header; default is the admin token. */
  token?: string | null;
  /** Aborts the request (e.g. `AbortSignal.timeout(ms)`). */
  signal?: AbortSignal;
}

/** A running Roster on a real port, with its own database, and a small HTTP client for it. */
export class TestServer {
  readonly adminToken = ADMIN_TOKEN;

  constructor(
    readonly app: NestFastifyApplication,
    readonly config: AppConfig,
    readonly baseUrl: string,
    private readonly database: TestDatabase,
    /** What main.ts does once listening: the admin token generated or found, the CLI credential written. */
    readonly startup: StartupState,
  ) {}

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const token = options.token === undefined ? ADMIN_TOKEN : options.token;
    if (token !== null && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
      headers.authorization = `Bearer ${token}`;
    }
    let body: string | Uint8Array | undefined = options.raw;
    if (body === undefined && options.body !== undefined) {
      body = JSON.stringify(options.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['content-type'] = 'application/scim+json';
      }
    }
    const response = await fetch(this.baseUrl + path, { method, headers, body, signal: options.signal });
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text && /json/.test(response.headers.get('content-type') ?? '')) {
      parsed = JSON.parse(text);
    }
    return { status: response.status, headers: response.headers, text, body: parsed as T };
  }

  get = <T = any>(path: string, options?: RequestOptions) => this.request<T>('GET', path, options);
  post = <T = any>(path: string, body: unknown, options?: RequestOptions) =>
    this.request<T>('POST', path, { ...options, body });
  put = <T = any>(path: string, body: unknown, options?: RequestOptions) =>
    this.request<T>('PUT', path, { ...options, body });
  patch = <T = any>(path: string, body: unknown, options?: RequestOptions) =>
    this.request<T>('PATCH', path, { ...options, body });
  delete = <T = any>(path: string, options?: RequestOptions) => this.request<T>('DELETE', path, options);

  async close(): Promise<void> {
    await this.app.close();
    await this.database.drop();
  }
}

/** A port the OS considers free now, so that PUBLIC_URL can name it before the app starts. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  /** Receives the production logger's output (with its redaction), e.g. to assert that no secret is logged. */
  logStream?: { write(line: string): void };
}

export async function startServer(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestServer> {
  const database = 'DATABASE_URL' in env ? { url: env.DATABASE_URL, drop: async () => {} } : await createTestDatabase();
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    SCIM_ADMIN_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    PORT: String(port),
    PUBLIC_URL: baseUrl,
    // scrypt at N=2^14 instead of OWASP's 2^17 (the default, which password.spec.ts checks): suites
    // that import hundreds of users with passwords (Okta sends one with every user) would spend
    // minutes hashing on a loaded machine, for nothing they assert.
    PASSWORD_SCRYPT_N: '16384',
    ...env,
  });
  if (config.database.url === 'memory://' && testDatabaseKind() === 'pglite') {
    // Starts from a migrated dump: no initdb, no migrations (test/support/template.ts).
    config.database.loadDataDir = await migratedTemplate();
  }
  const logger = options.logStream
    ? createLogger(config.logLevel, options.logStream)
    : pino({ level: config.logLevel });
  const app = await createApp(config, { logger });
  // A test may choose the port itself (PORT and PUBLIC_URL in env), e.g. to register Roster's
  // callback URL with an identity provider before Roster starts.
  await app.listen({ port: config.port, host: '127.0.0.1' });
  const startup = await completeStartup(app, config);
  return new TestServer(app, config, config.publicUrl, database, startup);
}
