import { Inject, Injectable } from '@nestjs/common';
import {
  EventsRepository,
  PrismaService,
  WebhookDeliveryRecord,
  WebhookDeliveryStatus,
  WebhookSubscriptionChange,
  WebhookSubscriptionRecord,
  WebhooksRepository,
} from '@roster/db';
import { isPlainObject, ScimError } from '@roster/scim';
import { randomBytes, randomUUID } from 'node:crypto';
import { KeyEncryptionService, KeyEncryptionUnavailableError } from '../auth/key-encryption.service';
import { isResourceId } from '../common/etag';
import { APP_CONFIG, AppConfig } from '../config';
import { Change, EVENT_TYPES, EventsService } from '../events/events.service';
import { WEBHOOK_FORMATS } from './encoders';
import { resolveProblem, TargetPolicy, urlProblem } from './webhook-target';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** Subscriptions one directory may have: each costs a worker's attention on every event. */
export const MAX_SUBSCRIPTIONS = 100;
export const MAX_DESCRIPTION = 500;
/** After a rotation the previous secret also signs for this long, so receivers can switch without a gap. */
export const PREVIOUS_SECRET_SECONDS = 24 * 3600;
const MAX_DELIVERY_PAGE = 100;
const DELIVERY_STATUSES: readonly WebhookDeliveryStatus[] = ['pending', 'succeeded', 'failed'];
const CREATE_FIELDS = new Set(['url', 'event_types', 'description', 'enabled', 'format']);
const UPDATE_FIELDS = new Set(['url', 'event_types', 'description', 'enabled']);
const SEQ = /^[1-9][0-9]{0,18}$/;

/** What the management API and the CLI show of a subscription: never its secret. */
export interface WebhookView {
  id: string;
  url: string;
  /** `["*"]`: every event type. */
  event_types: string[];
  description: string | null;
  enabled: boolean;
  format: string;
  /** The feed position (event id) of the last event dealt with; delivery continues after it. */
  cursor: string;
  consecutive_failures: number;
  failures_total: number;
  deliveries_total: number;
  last_success_at: string | null;
  last_failure_at: string | null;
  next_attempt_at: string;
  disabled_reason: string | null;
  disabled_at: string | null;
  /** Until when the secret before the last rotation still signs too. */
  previous_secret_until: string | null;
  created: string;
  updated: string;
}

export interface WebhookDeliveryView {
  id: string;
  event_id: string;
  event_type: string;
  message_id: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  latency_ms: number | null;
  response_snippet: string | null;
  created: string;
  last_attempt_at: string;
  next_attempt_at: string | null;
}

export interface DeliveryPage {
  deliveries: WebhookDeliveryView[];
  /** Give it back as `cursor` for older rows; absent on the last page. */
  next_cursor?: string;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function webhookView(r: WebhookSubscriptionRecord): WebhookView {
  return {
    id: r.id,
    url: r.url,
    event_types: r.eventTypes.length ? r.eventTypes : ['*'],
    description: r.description,
    enabled: r.enabled,
    format: r.format,
    cursor: r.cursor.toString(),
    consecutive_failures: r.consecutiveFailures,
    failures_total: Number(r.failuresTotal),
    deliveries_total: Number(r.deliveriesTotal),
    last_success_at: iso(r.lastSuccessAt),
    last_failure_at: iso(r.lastFailureAt),
    next_attempt_at: r.nextAttemptAt.toISOString(),
    disabled_reason: r.disabledReason,
    disabled_at: iso(r.disabledAt),
    previous_secret_until:
      r.previousSecretUntil && r.previousSecretUntil.getTime() > Date.now()
        ? r.previousSecretUntil.toISOString()
        : null,
    created: r.created.toISOString(),
    updated: r.updated.toISOString(),
  };
}

function deliveryView(r: WebhookDeliveryRecord): WebhookDeliveryView {
  return {
    id: r.id.toString(),
    event_id: r.seq.toString(),
    event_type: r.eventType,
    message_id: r.messageId,
    status: r.status,
    attempts: r.attempts,
    last_status_code: r.lastStatusCode,
    last_error: r.lastError,
    latency_ms: r.latencyMs,
    response_snippet: r.responseSnippet,
    created: r.created.toISOString(),
    last_attempt_at: r.lastAttemptAt.toISOString(),
    next_attempt_at: iso(r.nextAttemptAt),
  };
}

const invalid = (detail: string) => ScimError.badRequest('invalidValue', detail);

function parseEventTypes(value: unknown): string[] {
  if (!Array.isArray(value) || value.length > EVENT_TYPES.length + 1) {
    throw invalid(`event_types must be a list of at most ${EVENT_TYPES.length} event types, or ["*"] for all.`);
  }
  if (!value.every((t): t is string => typeof t === 'string')) {
    throw invalid('event_types must be a list of strings.');
  }
  const types = [...new Set(value.map((t) => t.trim()))];
  if (!types.length || types.includes('*')) {
    if (types.length > 1) {
      throw invalid('event_types is either ["*"] (every type) or a list of types, not both.');
    }
    return [];
  }
  const unknown = types.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
  if (unknown.length) {
    throw invalid(
      `Unknown event type ${unknown.slice(0, 5).join(', ').slice(0, 200)}; known types: ${EVENT_TYPES.join(', ')}.`,
    );
  }
  return EVENT_TYPES.filter((t) => types.includes(t));
}

function parseDescription(value: unknown): string | null {
  if (value === null) {
    return null;
  }
  if (typeof value !== 'string' || value.length > MAX_DESCRIPTION) {
    throw invalid(`description must be a string of at most ${MAX_DESCRIPTION} characters.`);
  }
  return value.trim() || null;
}

function parseBody(body: unknown, allowed: Set<string>): Record<string, unknown> {
  if (!isPlainObject(body)) {
    throw ScimError.badRequest('invalidSyntax', 'The body must be a JSON object.');
  }
  const extra = Object.keys(body).filter((k) => !allowed.has(k));
  if (extra.length) {
    throw invalid(
      `Unknown member ${extra.slice(0, 3).join(', ').slice(0, 200)}; accepted: ${[...allowed].join(', ')}.`,
    );
  }
  return body;
}

/**
 * Webhook subscriptions (issue 14 item 3): validation, secrets, replay and the delivery log, for
 * the management API and the command line alike. Every change is recorded as a `webhook.*`
 * event in its own transaction, as the other management writes are.
 */
@Injectable()
export class WebhooksService {
  private readonly listeners: (() => void)[] = [];
  private readonly policy: TargetPolicy;

  constructor(
    private readonly repository: WebhooksRepository,
    private readonly eventsRepository: EventsRepository,
    private readonly events: EventsService,
    private readonly keys: KeyEncryptionService,
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.policy = {
      allowPrivateNetworks: config.webhooks.allowPrivateNetworks,
      allowHttpLoopback: config.webhooks.allowHttpLoopback,
    };
  }

  /** Called after a change that may give the delivery workers work (this instance's worker listens). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) {
      listener();
    }
  }

  async create(body: unknown): Promise<WebhookView & { secret: string }> {
    const input = parseBody(body, CREATE_FIELDS);
    const url = await this.checkUrl(input.url);
    const eventTypes = input.event_types === undefined ? [] : parseEventTypes(input.event_types);
    const description = input.description === undefined ? null : parseDescription(input.description);
    if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
      throw invalid('enabled must be true or false.');
    }
    const format = input.format ?? 'standard-webhooks';
    if (typeof format !== 'string' || !(WEBHOOK_FORMATS as readonly string[]).includes(format)) {
      throw invalid(`format must be one of ${WEBHOOK_FORMATS.join(', ')}.`);
    }
    if ((await this.repository.count()) >= MAX_SUBSCRIPTIONS) {
      throw ScimError.badRequest('tooMany', `A directory has at most ${MAX_SUBSCRIPTIONS} webhook subscriptions.`);
    }
    const id = randomUUID();
    const secret = newSecret();
    const secretSealed = this.seal(secret, id);
    // From now on: the events already positioned are not this subscription's (replay reaches them).
    await this.eventsRepository.sequence();
    const cursor = await this.repository.head();
    const record = await this.prisma.transaction(async (tx) => {
      const row = await this.repository.insert(
        { id, url, eventTypes, description, enabled: input.enabled !== false, format, secretSealed, cursor },
        tx,
      );
      await this.events.webhook(tx, 'webhook.created', id, describe(row));
      return row;
    });
    this.changed();
    return { ...webhookView(record), secret };
  }

  async list(): Promise<WebhookView[]> {
    return (await this.repository.list()).map(webhookView);
  }

  async get(id: string): Promise<WebhookView> {
    return webhookView(await this.find(id));
  }

  /**
   * Changes url, event_types, description or enabled. Enabling a disabled subscription clears
   * its failures and disabled reason; delivery resumes after its cursor (replay to go back).
   */
  async update(id: string, body: unknown): Promise<WebhookView> {
    const input = parseBody(body, UPDATE_FIELDS);
    const change: WebhookSubscriptionChange = {};
    if (input.url !== undefined) {
      change.url = await this.checkUrl(input.url);
    }
    if (input.event_types !== undefined) {
      change.eventTypes = parseEventTypes(input.event_types);
    }
    if (input.description !== undefined) {
      change.description = parseDescription(input.description);
    }
    if (input.enabled !== undefined) {
      if (typeof input.enabled !== 'boolean') {
        throw invalid('enabled must be true or false.');
      }
      change.enabled = input.enabled;
    }
    const record = await this.write(id, async (tx, before) => {
      if (change.enabled === true && !before.enabled) {
        Object.assign(change, {
          consecutiveFailures: 0,
          disabledReason: null,
          disabledAt: null,
          nextAttemptAt: new Date(),
        });
      }
      if (change.enabled === false && before.enabled) {
        await this.repository.closePending(tx, id);
      }
      const after = await this.repository.update(tx, id, change);
      const changes = describe(after).filter(
        (c) => JSON.stringify(c.value) !== JSON.stringify(describe(before).find((b) => b.path === c.path)?.value),
      );
      if (changes.length) {
        await this.events.webhook(tx, 'webhook.updated', id, changes);
      }
      return after;
    });
    this.changed();
    return webhookView(record);
  }

  /** A new secret, shown once; the previous one keeps signing (a second signature) for 24 hours. */
  async rotateSecret(id: string): Promise<WebhookView & { secret: string }> {
    const secret = newSecret();
    const record = await this.write(id, async (tx, before) => {
      const after = await this.repository.update(tx, id, {
        secretSealed: this.seal(secret, id),
        previousSecretSealed: before.secretSealed,
        previousSecretUntil: new Date(Date.now() + PREVIOUS_SECRET_SECONDS * 1000),
      });
      await this.events.webhook(tx, 'webhook.updated', id, [{ path: 'secret' }]);
      return after;
    });
    return { ...webhookView(record), secret };
  }

  async delete(id: string): Promise<void> {
    await this.write(id, async (tx, before) => {
      await this.repository.delete(tx, id);
      await this.events.webhook(tx, 'webhook.deleted', id, [{ path: 'url', value: before.url }]);
      return before;
    });
  }

  /**
   * Delivers again every event from feed position `from` on (in order, then on to new ones).
   * Open deliveries of earlier events are closed as failed; a worker busy with the subscription
   * loses its lease at its next step.
   */
  async replay(id: string, from: unknown): Promise<WebhookView> {
    const text = typeof from === 'number' && Number.isSafeInteger(from) ? String(from) : from;
    if (typeof text !== 'string' || !SEQ.test(text) || BigInt(text) > 9223372036854775807n) {
      throw invalid('from must be an event id (a positive integer, as GET /v2/Events shows it).');
    }
    const start = BigInt(text);
    const record = await this.write(id, async (tx) => {
      await this.repository.closePending(tx, id, start);
      await this.repository.rewind(tx, id, start - 1n);
      await this.events.webhook(tx, 'webhook.updated', id, [{ path: 'replay', value: text }]);
      return (await this.repository.find(id, tx))!;
    });
    this.changed();
    return webhookView(record);
  }

  async deliveries(id: string, query: Record<string, unknown>): Promise<DeliveryPage> {
    await this.find(id);
    const text = (name: string): string | undefined => {
      const value = query[name];
      if (value === undefined || value === '') {
        return undefined;
      }
      if (typeof value !== 'string' || value.length > 40) {
        throw invalid(`${name} must be given once, as a short string.`);
      }
      return value;
    };
    const status = text('status');
    if (status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(status)) {
      throw invalid(`status must be one of ${DELIVERY_STATUSES.join(', ')}.`);
    }
    const cursor = text('cursor');
    if (cursor !== undefined && !SEQ.test(cursor)) {
      throw ScimError.badRequest('invalidCursor', 'The cursor is not one this server issued.');
    }
    const countText = text('count');
    if (countText !== undefined && (!/^[0-9]{1,4}$/.test(countText) || Number(countText) < 1)) {
      throw invalid(`count must be an integer from 1 to ${MAX_DELIVERY_PAGE}.`);
    }
    const limit = Math.min(Number(countText ?? 20), MAX_DELIVERY_PAGE);
    const rows = await this.repository.deliveries(id, {
      limit: limit + 1,
      ...(cursor !== undefined ? { before: BigInt(cursor) } : {}),
      ...(status !== undefined ? { status: status as WebhookDeliveryStatus } : {}),
    });
    const page = rows.slice(0, limit);
    return {
      deliveries: page.map(deliveryView),
      ...(rows.length > limit ? { next_cursor: page[page.length - 1].id.toString() } : {}),
    };
  }

  /** The secrets that sign a delivery now: the current one, and the previous one during its overlap. */
  secretsOf(record: WebhookSubscriptionRecord): string[] {
    const secrets = [this.open(record.secretSealed, record.id)];
    if (
      record.previousSecretSealed &&
      record.previousSecretUntil &&
      record.previousSecretUntil.getTime() > Date.now()
    ) {
      secrets.push(this.open(record.previousSecretSealed, record.id));
    }
    return secrets;
  }

  get targetPolicy(): TargetPolicy {
    return this.policy;
  }

  private async find(id: string): Promise<WebhookSubscriptionRecord> {
    const record = isResourceId(id) ? await this.repository.find(id.toLowerCase()) : undefined;
    if (!record) {
      throw ScimError.notFound(`Webhook subscription ${id.slice(0, 100)} not found.`);
    }
    return record;
  }

  /** Runs a change with the row locked; 404 when it is not there. */
  private async write(
    id: string,
    work: (
      tx: Parameters<Parameters<PrismaService['transaction']>[0]>[0],
      before: WebhookSubscriptionRecord,
    ) => Promise<WebhookSubscriptionRecord>,
  ): Promise<WebhookSubscriptionRecord> {
    const key = isResourceId(id) ? id.toLowerCase() : undefined;
    const record = key
      ? await this.prisma.transaction(async (tx) => {
          if (!(await this.repository.lock(tx, key))) {
            return undefined;
          }
          return work(tx, (await this.repository.find(key, tx))!);
        })
      : undefined;
    if (!record) {
      throw ScimError.notFound(`Webhook subscription ${id.slice(0, 100)} not found.`);
    }
    return record;
  }

  private async checkUrl(value: unknown): Promise<string> {
    const problem = urlProblem(value, this.policy) ?? (await resolveProblem(value as string, this.policy));
    if (problem) {
      throw invalid(problem);
    }
    return value as string;
  }

  private seal(secret: string, id: string): string {
    try {
      return this.keys.seal(Buffer.from(secret, 'utf8'), `webhook:${id}`).toString('base64');
    } catch (error) {
      if (error instanceof KeyEncryptionUnavailableError) {
        throw new ScimError(
          409,
          `Webhook secrets are stored encrypted and ${error.message.replace(/\.$/, '')}: set ROSTER_KEY_ENCRYPTION_KEY.`,
        );
      }
      throw error;
    }
  }

  private open(sealed: string, id: string): string {
    return this.keys.open(Buffer.from(sealed, 'base64'), `webhook:${id}`).toString('utf8');
  }
}

function newSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** What a webhook event says of a subscription: its settings, never its secret. */
function describe(r: WebhookSubscriptionRecord): Change[] {
  return [
    { path: 'url', value: r.url },
    { path: 'event_types', value: r.eventTypes.length ? r.eventTypes : ['*'] },
    { path: 'description', value: r.description },
    { path: 'enabled', value: r.enabled },
    { path: 'format', value: r.format },
  ];
}
