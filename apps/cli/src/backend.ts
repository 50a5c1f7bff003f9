import { INestApplicationContext } from '@nestjs/common';
import { DATABASE, DatabaseHandle, lockHolder, LockHolder } from '@roster/db';
import { ScimError } from '@roster/scim';
import { Logger } from 'pino';
import { AdminTokenService } from '../../api/src/auth/admin-token.service';
import { ApiTokensService, ApiTokenView, CreateApiToken } from '../../api/src/auth/api-tokens.service';
import {
  ClientRegistration,
  ClientView,
  OAuthClientsService,
  RegisteredClient,
} from '../../api/src/auth/clients.service';
import { GrantView, UserGrantsService } from '../../api/src/auth/management/user-grants.service';
import { RotationResult, SigningKeysService } from '../../api/src/auth/signing-keys.service';
import { listLimits, parseListQuery } from '../../api/src/common/list-query';
import { ListResponse } from '../../api/src/common/paging';
import { AppConfig } from '../../api/src/config';
import { GroupsService } from '../../api/src/groups/groups.service';
import { readLocalCredential } from '../../api/src/ops/local-credential.service';
import { ConsoleLinkService } from '../../api/src/console/console-link.service';
import { embeddedOnDisk } from '../../api/src/ops/startup';
import { UsersService } from '../../api/src/users/users.service';
import { runAsActor } from '../../api/src/events/actor-scope';
import { feedPage, parseFeedQuery } from '../../api/src/events/events-feed';
import { EventsService } from '../../api/src/events/events.service';
import { hostname, userInfo } from 'node:os';
import { SchemaExtensionsService, SchemaExtensionView } from '../../api/src/schemas/schema-extensions.service';
import {
  CreateSetReceiver,
  SetReceiverDetail,
  SetReceiversService,
  SetReceiverView,
  UpdateSetReceiver,
} from '../../api/src/events/sets/set-receivers.service';
import { DeliveryPage, WebhooksService, WebhookView } from '../../api/src/webhooks/webhooks.service';

export type ResourceKind = 'Users' | 'Groups';

export interface EventFeedPage {
  Resources: Record<string, unknown>[];
  nextCursor: string;
}

/** Who the command line is in the change log when it writes to the database itself. */
function asCli<T>(fn: () => Promise<T>): Promise<T> {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No entry for this uid (containers): the actor is still the command line.
  }
  return runAsActor({ kind: 'cli', id: `${user}@${hostname()}`, name: 'roster CLI' }, fn);
}

/** What one item of an import became: where it is, or the SCIM error it got. */
export type WriteOutcome = { id: string } | { status: number; scimType?: string; detail: string };

/**
 * The command line's way to the directory: the services themselves on the configured database
 * (nothing else holds it), or a running service's management and SCIM APIs over HTTP. Both give
 * the same answers, since the HTTP API calls the same services.
 */
export interface Backend {
  readonly mode: 'local' | 'remote';
  /** Where the commands go, for messages (never a credential). */
  readonly target: string;
  createToken(input: CreateApiToken): Promise<ApiTokenView & { token: string }>;
  listTokens(): Promise<ApiTokenView[]>;
  revokeToken(id: string): Promise<void>;
  registerClient(input: ClientRegistration): Promise<RegisteredClient>;
  listClients(): Promise<ClientView[]>;
  revokeClient(id: string): Promise<void>;
  /** What users allowed OAuth clients (sign-in grants), optionally of one user or one client. */
  listGrants(filter: { userId?: string; clientId?: string }): Promise<GrantView[]>;
  revokeGrant(id: string): Promise<void>;
  rotateKeys(): Promise<RotationResult>;
  resetAdminToken(): Promise<{ token: string }>;
  /** Runtime extension schemas (issue 15), through SchemaExtensionsService either way. */
  listSchemas(): Promise<SchemaExtensionView[]>;
  addSchema(body: unknown): Promise<SchemaExtensionView>;
  removeSchema(urn: string, purge: boolean): Promise<void>;
  /** SCIM security event receivers (RFC 8936 poll), through SetReceiversService either way. */
  createSetReceiver(input: CreateSetReceiver): Promise<SetReceiverView & { token: string }>;
  listSetReceivers(): Promise<SetReceiverView[]>;
  showSetReceiver(id: string): Promise<SetReceiverDetail>;
  updateSetReceiver(id: string, input: UpdateSetReceiver): Promise<SetReceiverView>;
  rotateSetReceiverToken(id: string): Promise<SetReceiverView & { token: string }>;
  deleteSetReceiver(id: string): Promise<void>;
  /** A one-time sign-in link to the console for the admin token holder. */
  consoleLink(): Promise<{ url: string; expires_at: string }>;
  /** One page of a resource list, with the SCIM query parameters (filter, count, cursor, attributes...). */
  list(kind: ResourceKind, query: Record<string, string>): Promise<ListResponse>;
  get(kind: ResourceKind, id: string): Promise<Record<string, unknown>>;
  /** The most items one `createUsers` call should carry. */
  readonly batchSize: number;
  /** Creates users through the Bulk write path (UsersService.createMany), one outcome per body, in order. */
  createUsers(bodies: unknown[]): Promise<WriteOutcome[]>;
  createGroup(body: unknown): Promise<WriteOutcome>;
  /** A gzip tar of the embedded database, taken consistently (the service's own copy when it runs). */
  backup(): Promise<ReadableStream<Uint8Array>>;
  /** One page of the change feed (GET /v2/Events), with its query parameters (cursor, count, type, ...). */
  events(query: Record<string, string>): Promise<EventFeedPage>;
  /** Webhook subscriptions (/admin/webhooks), through WebhooksService either way; bodies as the API takes them. */
  createWebhook(body: Record<string, unknown>): Promise<WebhookView & { secret: string }>;
  listWebhooks(): Promise<WebhookView[]>;
  getWebhook(id: string): Promise<WebhookView>;
  updateWebhook(id: string, body: Record<string, unknown>): Promise<WebhookView>;
  rotateWebhookSecret(id: string): Promise<WebhookView & { secret: string }>;
  deleteWebhook(id: string): Promise<void>;
  replayWebhook(id: string, from: string): Promise<WebhookView>;
  webhookDeliveries(id: string, query: Record<string, string>): Promise<DeliveryPage>;
  close(): Promise<void>;
}

/** Thrown when the directory cannot be reached: exit code 69. */
export class UnavailableError extends Error {}

function outcomeOf(error: unknown): WriteOutcome {
  if (error instanceof ScimError) {
    return { status: error.status, ...(error.scimType ? { scimType: error.scimType } : {}), detail: error.detail };
  }
  return { status: 500, detail: error instanceof Error ? error.message : String(error) };
}

export class LocalBackend implements Backend {
  readonly mode = 'local';
  readonly batchSize = 1000;

  constructor(
    private readonly app: INestApplicationContext,
    private readonly config: AppConfig,
    readonly target: string,
  ) {}

  createToken(input: CreateApiToken) {
    return this.app.get(ApiTokensService).create(input);
  }
  consoleLink() {
    return this.app.get(ConsoleLinkService).create();
  }
  listTokens() {
    return this.app.get(ApiTokensService).list();
  }
  revokeToken(id: string) {
    return this.app.get(ApiTokensService).revoke(id);
  }
  registerClient(input: ClientRegistration) {
    return this.app.get(OAuthClientsService).register(input);
  }
  listClients() {
    return this.app.get(OAuthClientsService).list();
  }
  revokeClient(id: string) {
    return this.app.get(OAuthClientsService).revoke(id);
  }
  listGrants(filter: { userId?: string; clientId?: string }) {
    return this.app.get(UserGrantsService).list(filter);
  }
  revokeGrant(id: string) {
    return this.app.get(UserGrantsService).revoke(id);
  }
  rotateKeys() {
    return this.app.get(SigningKeysService).rotate();
  }
  resetAdminToken() {
    return this.app.get(AdminTokenService).reset();
  }
  listSchemas() {
    return this.app.get(SchemaExtensionsService).list();
  }
  addSchema(body: unknown) {
    return this.app.get(SchemaExtensionsService).register(body);
  }
  async removeSchema(urn: string, purge: boolean) {
    await this.app.get(SchemaExtensionsService).remove(urn, purge);
  }
  createSetReceiver(input: CreateSetReceiver) {
    return this.app.get(SetReceiversService).create(input);
  }
  listSetReceivers() {
    return this.app.get(SetReceiversService).list();
  }
  showSetReceiver(id: string) {
    return this.app.get(SetReceiversService).get(id);
  }
  updateSetReceiver(id: string, input: UpdateSetReceiver) {
    return this.app.get(SetReceiversService).update(id, input);
  }
  rotateSetReceiverToken(id: string) {
    return this.app.get(SetReceiversService).rotateToken(id);
  }
  deleteSetReceiver(id: string) {
    return this.app.get(SetReceiversService).delete(id);
  }

  async list(kind: ResourceKind, query: Record<string, string>): Promise<ListResponse> {
    const request = parseListQuery(query, listLimits(this.config));
    return kind === 'Users' ? this.app.get(UsersService).list(request) : this.app.get(GroupsService).list(request);
  }

  async get(kind: ResourceKind, id: string): Promise<Record<string, unknown>> {
    const result =
      kind === 'Users' ? await this.app.get(UsersService).get(id) : await this.app.get(GroupsService).get(id);
    return result.resource;
  }

  async createUsers(bodies: unknown[]): Promise<WriteOutcome[]> {
    const outcomes = await asCli(() => this.app.get(UsersService).createMany(bodies));
    return outcomes.map((o) => ('error' in o ? outcomeOf(o.error) : { id: o.id }));
  }

  async createGroup(body: unknown): Promise<WriteOutcome> {
    try {
      const created = await asCli(() => this.app.get(GroupsService).create(body));
      return { id: String(created.resource.id) };
    } catch (error) {
      return outcomeOf(error);
    }
  }

  async backup(): Promise<ReadableStream<Uint8Array>> {
    const handle = this.app.get<DatabaseHandle>(DATABASE);
    if (!handle.dump) {
      throw new ScimError(409, 'This directory is on PostgreSQL: back it up with pg_dump (see the README, "Backup").');
    }
    return (await handle.dump()).stream() as ReadableStream<Uint8Array>;
  }

  async events(query: Record<string, string>): Promise<EventFeedPage> {
    const request = parseFeedQuery(query);
    const page = feedPage(request, await this.app.get(EventsService).list(request), `${this.config.publicUrl}/v2`);
    return page as unknown as EventFeedPage;
  }

  createWebhook(body: Record<string, unknown>) {
    return asCli(() => this.app.get(WebhooksService).create(body));
  }
  listWebhooks() {
    return this.app.get(WebhooksService).list();
  }
  getWebhook(id: string) {
    return this.app.get(WebhooksService).get(id);
  }
  updateWebhook(id: string, body: Record<string, unknown>) {
    return asCli(() => this.app.get(WebhooksService).update(id, body));
  }
  rotateWebhookSecret(id: string) {
    return asCli(() => this.app.get(WebhooksService).rotateSecret(id));
  }
  deleteWebhook(id: string) {
    return asCli(() => this.app.get(WebhooksService).delete(id));
  }
  replayWebhook(id: string, from: string) {
    return asCli(() => this.app.get(WebhooksService).replay(id, from));
  }
  webhookDeliveries(id: string, query: Record<string, string>) {
    return this.app.get(WebhooksService).deliveries(id, query);
  }

  close(): Promise<void> {
    return this.app.close();
  }
}

interface ScimErrorBody {
  detail?: string;
  scimType?: string;
  status?: string;
  error?: string;
  error_description?: string;
}

export class RemoteBackend implements Backend {
  readonly mode = 'remote';
  batchSize = 1000;
  private bulkLimits?: { maxOperations: number; maxPayloadSize: number };

  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  get target(): string {
    return this.url;
  }

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/scim+json, application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new UnavailableError(
        `Could not reach the Roster service at ${this.url}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`,
      );
    }
    if (response.status >= 400) {
      const text = await response.text();
      let parsed: ScimErrorBody = {};
      try {
        parsed = JSON.parse(text) as ScimErrorBody;
      } catch {
        // Not JSON: the status alone says it.
      }
      const detail = parsed.detail ?? parsed.error_description ?? parsed.error ?? (text || response.statusText);
      if (response.status === 401) {
        throw new ScimError(401, `The service at ${this.url} refused the credential: ${detail}`);
      }
      throw new ScimError(response.status, detail, parsed.scimType as ScimError['scimType']);
    }
    return response;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.call(method, path, body);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  consoleLink() {
    return this.json<{ url: string; expires_at: string }>('POST', '/admin/console/links');
  }
  createToken(input: CreateApiToken) {
    return this.json<ApiTokenView & { token: string }>('POST', '/admin/tokens', {
      name: input.name,
      scope: input.scope,
      ...(input.expiresIn !== undefined ? { expires_in: input.expiresIn } : {}),
      ...(input.mcp ? { mcp: true } : {}),
      ...(input.rateLimit !== undefined ? { rate_limit: input.rateLimit } : {}),
    });
  }
  async listTokens() {
    return (await this.json<{ tokens: ApiTokenView[] }>('GET', '/admin/tokens')).tokens;
  }
  async revokeToken(id: string) {
    await this.call('DELETE', `/admin/tokens/${encodeURIComponent(id)}`);
  }
  registerClient(input: ClientRegistration) {
    return this.json<RegisteredClient>('POST', '/admin/clients', input);
  }
  async listClients() {
    return (await this.json<{ clients: ClientView[] }>('GET', '/admin/clients')).clients;
  }
  async revokeClient(id: string) {
    await this.call('DELETE', `/admin/clients/${encodeURIComponent(id)}`);
  }
  async listGrants(filter: { userId?: string; clientId?: string }) {
    const query = new URLSearchParams({
      ...(filter.userId ? { user: filter.userId } : {}),
      ...(filter.clientId ? { client: filter.clientId } : {}),
    }).toString();
    return (await this.json<{ grants: GrantView[] }>('GET', `/admin/grants${query ? `?${query}` : ''}`)).grants;
  }
  async revokeGrant(id: string) {
    await this.call('DELETE', `/admin/grants/${encodeURIComponent(id)}`);
  }
  rotateKeys() {
    return this.json<RotationResult>('POST', '/admin/keys/rotate');
  }
  resetAdminToken() {
    return this.json<{ token: string }>('POST', '/admin/admin-token/reset');
  }
  async listSchemas() {
    return (await this.json<{ schemas: SchemaExtensionView[] }>('GET', '/admin/schemas')).schemas;
  }
  addSchema(body: unknown) {
    return this.json<SchemaExtensionView>('POST', '/admin/schemas', body);
  }
  async removeSchema(urn: string, purge: boolean) {
    await this.call('DELETE', `/admin/schemas/${encodeURIComponent(urn)}${purge ? '?purge=true' : ''}`);
  }
  createSetReceiver(input: CreateSetReceiver) {
    return this.json<SetReceiverView & { token: string }>('POST', '/admin/set-receivers', input);
  }
  async listSetReceivers() {
    return (await this.json<{ receivers: SetReceiverView[] }>('GET', '/admin/set-receivers')).receivers;
  }
  showSetReceiver(id: string) {
    return this.json<SetReceiverDetail>('GET', `/admin/set-receivers/${encodeURIComponent(id)}`);
  }
  updateSetReceiver(id: string, input: UpdateSetReceiver) {
    return this.json<SetReceiverView>('PATCH', `/admin/set-receivers/${encodeURIComponent(id)}`, input);
  }
  rotateSetReceiverToken(id: string) {
    return this.json<SetReceiverView & { token: string }>(
      'POST',
      `/admin/set-receivers/${encodeURIComponent(id)}/token`,
    );
  }
  async deleteSetReceiver(id: string) {
    await this.call('DELETE', `/admin/set-receivers/${encodeURIComponent(id)}`);
  }

  list(kind: ResourceKind, query: Record<string, string>): Promise<ListResponse> {
    return this.json<ListResponse>('GET', `/v2/${kind}?${new URLSearchParams(query).toString()}`);
  }

  get(kind: ResourceKind, id: string): Promise<Record<string, unknown>> {
    return this.json<Record<string, unknown>>('GET', `/v2/${kind}/${encodeURIComponent(id)}`);
  }

  /** Bulk's limits, from the ServiceProviderConfig, so that each request fits. */
  async prepare(): Promise<void> {
    const spc = await this.json<{ bulk?: { maxOperations?: number; maxPayloadSize?: number } }>(
      'GET',
      '/v2/ServiceProviderConfig',
    );
    this.bulkLimits = {
      maxOperations: spc.bulk?.maxOperations ?? 1000,
      maxPayloadSize: spc.bulk?.maxPayloadSize ?? 1024 * 1024,
    };
    this.batchSize = Math.min(1000, this.bulkLimits.maxOperations);
  }

  async createUsers(bodies: unknown[]): Promise<WriteOutcome[]> {
    const limits = this.bulkLimits ?? { maxOperations: 1000, maxPayloadSize: 1024 * 1024 };
    const outcomes: WriteOutcome[] = [];
    // Split so that each BulkRequest stays under the advertised payload size (with room for the envelope).
    let batch: { method: string; path: string; bulkId: string; data: unknown }[] = [];
    let bytes = 0;
    const flush = async (): Promise<void> => {
      if (!batch.length) {
        return;
      }
      const response = await this.json<{
        Operations: { status: string; location?: string; response?: ScimErrorBody }[];
      }>('POST', '/v2/Bulk', { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: batch });
      for (const op of response.Operations) {
        const status = Number(op.status);
        if (status < 300 && op.location) {
          outcomes.push({ id: op.location.slice(op.location.lastIndexOf('/') + 1) });
        } else {
          outcomes.push({
            status,
            ...(op.response?.scimType ? { scimType: op.response.scimType } : {}),
            detail: op.response?.detail ?? `status ${op.status}`,
          });
        }
      }
      batch = [];
      bytes = 0;
    };
    for (const [index, data] of bodies.entries()) {
      const size = JSON.stringify(data).length + 80;
      if (batch.length >= limits.maxOperations || (batch.length > 0 && bytes + size > limits.maxPayloadSize - 1024)) {
        await flush();
      }
      batch.push({ method: 'POST', path: '/Users', bulkId: `row${index}`, data });
      bytes += size;
    }
    await flush();
    return outcomes;
  }

  async createGroup(body: unknown): Promise<WriteOutcome> {
    try {
      const created = await this.json<{ id: string }>('POST', '/v2/Groups', body);
      return { id: created.id };
    } catch (error) {
      if (error instanceof ScimError) {
        return outcomeOf(error);
      }
      throw error;
    }
  }

  async backup(): Promise<ReadableStream<Uint8Array>> {
    const response = await this.call('GET', '/admin/backup');
    if (!response.body) {
      throw new UnavailableError('The service sent an empty backup.');
    }
    return response.body;
  }

  events(query: Record<string, string>): Promise<EventFeedPage> {
    return this.json<EventFeedPage>('GET', `/v2/Events?${new URLSearchParams(query).toString()}`);
  }

  createWebhook(body: Record<string, unknown>) {
    return this.json<WebhookView & { secret: string }>('POST', '/admin/webhooks', body);
  }
  async listWebhooks() {
    return (await this.json<{ webhooks: WebhookView[] }>('GET', '/admin/webhooks')).webhooks;
  }
  getWebhook(id: string) {
    return this.json<WebhookView>('GET', `/admin/webhooks/${encodeURIComponent(id)}`);
  }
  updateWebhook(id: string, body: Record<string, unknown>) {
    return this.json<WebhookView>('PATCH', `/admin/webhooks/${encodeURIComponent(id)}`, body);
  }
  rotateWebhookSecret(id: string) {
    return this.json<WebhookView & { secret: string }>('POST', `/admin/webhooks/${encodeURIComponent(id)}/secret`);
  }
  async deleteWebhook(id: string) {
    await this.call('DELETE', `/admin/webhooks/${encodeURIComponent(id)}`);
  }
  replayWebhook(id: string, from: string) {
    return this.json<WebhookView>('POST', `/admin/webhooks/${encodeURIComponent(id)}/replay`, { from });
  }
  webhookDeliveries(id: string, query: Record<string, string>) {
    return this.json<DeliveryPage>(
      'GET',
      `/admin/webhooks/${encodeURIComponent(id)}/deliveries?${new URLSearchParams(query).toString()}`,
    );
  }

  async close(): Promise<void> {}
}

export interface ConnectOptions {
  config: AppConfig;
  env: Record<string, string | undefined>;
  logger: Logger;
  /** Builds the Nest application context over the database (only when nothing else holds it). */
  openLocal: () => Promise<INestApplicationContext>;
  /** How long to wait for a service that holds the directory but has not written its credential yet. */
  waitMs?: number;
}

/**
 * Chooses how to reach the directory: ROSTER_URL (+ ROSTER_TOKEN) when given; else, for the
 * embedded database, the running service that holds its lock (through the URL and credential it
 * wrote into DATA_DIR); else the database itself. On PostgreSQL the command line opens the
 * database beside running instances, as they do.
 */
export async function connect(options: ConnectOptions): Promise<Backend> {
  const { config, env } = options;
  if (env.ROSTER_URL) {
    if (!env.ROSTER_TOKEN) {
      throw new UnavailableError('ROSTER_URL is set but ROSTER_TOKEN is not: give an admin or API token for it.');
    }
    const remote = new RemoteBackend(env.ROSTER_URL.replace(/\/+$/, ''), env.ROSTER_TOKEN);
    await remote.prepare();
    return remote;
  }
  if (embeddedOnDisk(config)) {
    const deadline = Date.now() + (options.waitMs ?? 30_000);
    for (;;) {
      const holder = lockHolder(config.database.dataDir);
      if (!holder) {
        break;
      }
      const credential = readLocalCredential(config.database.dataDir);
      if (credential && credential.pid === holder.pid) {
        const remote = new RemoteBackend(credential.url, credential.token);
        await remote.prepare();
        options.logger.debug({ url: credential.url, pid: holder.pid }, 'Using the running service.');
        return remote;
      }
      if (holder.purpose !== 'service' || Date.now() > deadline) {
        throw new UnavailableError(lockedMessage(config.database.dataDir, holder));
      }
      // The service holds the directory but is still starting (migrations); its credential comes once it listens.
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const app = await options.openLocal();
  return new LocalBackend(
    app,
    config,
    embeddedOnDisk(config) ? `the embedded database in ${config.database.dataDir}` : 'the database',
  );
}

function lockedMessage(dataDir: string, holder: LockHolder): string {
  return holder.purpose === 'service'
    ? `The embedded database in ${dataDir} is held by a Roster service (PID ${holder.pid}) that has not published its ` +
        `management URL. Wait until it listens, or set ROSTER_URL and ROSTER_TOKEN to reach it.`
    : `The embedded database in ${dataDir} is in use by another command (${holder.purpose}, PID ${holder.pid}, since ` +
        `${holder.startedAt}). Wait for it to finish.`;
}
