import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { EventsRepository, SetErrorRecord, SetReceiverRecord, SetReceiversRepository } from '@roster/db';
import { DEFAULT_SCIM_EVENT_URIS, isScimEventUri, SCIM_EVENT_URIS, ScimError } from '@roster/scim';
import { randomUUID } from 'node:crypto';
import { CLOCK, CredentialCache } from '../../auth/credential-cache';
import { BearerStrategy, InvalidTokenError, Principal, ResourceKind, RESOURCES } from '../../auth/principal';
import { resourceUrl } from '../../auth/resources';
import { randomSecret, sha256 } from '../../auth/secrets';
import { isResourceId } from '../../common/etag';
import { APP_CONFIG, AppConfig } from '../../config';

export const SET_RECEIVER_TOKEN_PREFIX = 'roster_set_';
/** The principal kind of a receiver's poll token: good for polling its own SETs and nothing else. */
export const SET_RECEIVER_PRINCIPAL = 'set-receiver' as const;
export const SET_DELIVERY_METHODS = ['poll'] as const;

const MAX_NAME = 200;
const MAX_AUDIENCE = 2000;

export interface CreateSetReceiver {
  name: string;
  /** The `aud` of its SETs; default: the receiver's poll URL. */
  audience?: string;
  /** SCIM event URIs; default: all but create:notice (creations come in full). */
  events?: string[];
  delivery?: string;
}

export interface UpdateSetReceiver {
  name?: string;
  audience?: string;
  events?: string[];
  enabled?: boolean;
}

/** What the management API and the CLI show of a receiver: never its token or the token's hash. */
export interface SetReceiverView {
  id: string;
  name: string;
  audience: string;
  events: string[];
  delivery: string;
  enabled: boolean;
  /** RFC 8936 endpoint of this receiver. */
  poll_url: string;
  created: string;
  last_poll_at: string | null;
  /** Every feed position up to this one is acknowledged (or not for this receiver). */
  acked_through: string;
}

export interface SetReceiverDetail extends SetReceiverView {
  /** Acknowledgements recorded above acked_through (acknowledged out of order). */
  acks_ahead: number;
  /** The latest SETs the receiver reported it could not accept (RFC 8936 setErrs), newest first. */
  errors: { jti: string; err: string; description: string | null; time: string }[];
}

/** Whether a principal may poll this receiver's SETs: the one place that decides it. */
export function mayPollReceiver(principal: Principal | undefined, receiverId: string): boolean {
  if (!principal) {
    return false;
  }
  if (principal.kind === SET_RECEIVER_PRINCIPAL) {
    return principal.subject === `${SET_RECEIVER_PRINCIPAL}:${receiverId.toLowerCase()}`;
  }
  return principal.scopes.has('roster.admin');
}

/**
 * SET receivers (streams): managed through /admin/set-receivers and the CLI, each with a poll
 * token shown once (SHA-256 stored, like API tokens) that is good for its own poll endpoint only.
 * Also the bearer strategy for those tokens; found records are cached for AUTH_CACHE_SECONDS.
 */
@Injectable()
export class SetReceiversService implements BearerStrategy {
  readonly name = SET_RECEIVER_PRINCIPAL;
  private readonly logger = new Logger('SetReceivers');
  private readonly cache: CredentialCache<SetReceiverRecord>;

  constructor(
    private readonly receivers: SetReceiversRepository,
    private readonly events: EventsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(CLOCK) now: () => number = Date.now,
  ) {
    this.cache = new CredentialCache(config.auth.credentialCacheSeconds * 1000, 1_000, now);
  }

  pollUrl(id: string): string {
    return `${this.config.publicUrl}/v2/Events/Receivers/${id}/Poll`;
  }

  async create(input: CreateSetReceiver): Promise<SetReceiverView & { token: string }> {
    const id = randomUUID();
    const name = this.checkName(input.name);
    const audience = input.audience === undefined ? this.pollUrl(id) : this.checkAudience(input.audience);
    const events = input.events === undefined ? [...DEFAULT_SCIM_EVENT_URIS] : this.checkEvents(input.events);
    const delivery = input.delivery ?? 'poll';
    if (!(SET_DELIVERY_METHODS as readonly string[]).includes(delivery)) {
      throw ScimError.badRequest(
        'invalidValue',
        `delivery must be poll (RFC 8936); push (RFC 8935) is not available yet, got ${JSON.stringify(delivery)}.`,
      );
    }
    const token = randomSecret(SET_RECEIVER_TOKEN_PREFIX);
    // A new receiver starts at the feed's head: it gets the changes from now on, not the history.
    // Events already committed are positioned first, so that they count as history.
    await this.events.sequence();
    const record = await this.receivers.insert(
      { id, name, audience, events, delivery, tokenHash: sha256(token).toString('hex') },
      await this.receivers.head(),
    );
    this.logger.log({ receiverId: id, events }, `Created SET receiver "${name}".`);
    return { ...this.view(record), token };
  }

  async list(): Promise<SetReceiverView[]> {
    return (await this.receivers.list()).map((r) => this.view(r));
  }

  async get(id: string): Promise<SetReceiverDetail> {
    const record = await this.find(id);
    const state = await this.receivers.state(record.id);
    return { ...this.view(record), acks_ahead: state.acksAhead, errors: state.errors.map(errorView) };
  }

  /** The receiver as stored now (poll state included); 404 when there is none. */
  async find(id: string): Promise<SetReceiverRecord> {
    const record = isResourceId(id) ? await this.receivers.find(id.toLowerCase()) : undefined;
    if (!record) {
      throw ScimError.notFound(`No SET receiver ${id}.`);
    }
    return record;
  }

  async update(id: string, input: UpdateSetReceiver): Promise<SetReceiverView> {
    await this.find(id);
    if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
      throw ScimError.badRequest('invalidValue', 'enabled must be true or false.');
    }
    const updated = await this.receivers.update(id.toLowerCase(), {
      ...(input.name !== undefined ? { name: this.checkName(input.name) } : {}),
      ...(input.audience !== undefined ? { audience: this.checkAudience(input.audience) } : {}),
      ...(input.events !== undefined ? { events: this.checkEvents(input.events) } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
    });
    if (!updated) {
      throw ScimError.notFound(`No SET receiver ${id}.`);
    }
    this.cache.evict((r) => r.id === updated.id);
    return this.view(updated);
  }

  /** A new poll token (shown once); the old one stops working at once on this instance. */
  async rotateToken(id: string): Promise<SetReceiverView & { token: string }> {
    await this.find(id);
    const token = randomSecret(SET_RECEIVER_TOKEN_PREFIX);
    const updated = await this.receivers.update(id.toLowerCase(), { tokenHash: sha256(token).toString('hex') });
    if (!updated) {
      throw ScimError.notFound(`No SET receiver ${id}.`);
    }
    this.cache.evict((r) => r.id === updated.id);
    return { ...this.view(updated), token };
  }

  async delete(id: string): Promise<void> {
    const deleted = isResourceId(id) && (await this.receivers.delete(id.toLowerCase()));
    if (!deleted) {
      throw ScimError.notFound(`No SET receiver ${id}.`);
    }
    this.cache.evict((r) => r.id === id.toLowerCase());
    this.logger.log({ receiverId: id }, 'Deleted SET receiver.');
  }

  /** Bearer strategy: a receiver's poll token, good on the SCIM API's resource with no scope at all. */
  async authenticate(token: string): Promise<Principal | null> {
    if (!token.startsWith(SET_RECEIVER_TOKEN_PREFIX)) {
      return null;
    }
    const hash = sha256(token).toString('hex');
    const record = await this.cache.get(hash, () => this.receivers.findByTokenHash(hash));
    if (!record) {
      throw new InvalidTokenError('The SET receiver token is invalid or was replaced.');
    }
    if (!record.enabled) {
      throw new InvalidTokenError('This SET receiver is disabled.', true);
    }
    return {
      kind: SET_RECEIVER_PRINCIPAL,
      subject: `${SET_RECEIVER_PRINCIPAL}:${record.id}`,
      name: record.name,
      scopes: new Set<string>(),
      resources: new Set<ResourceKind>(['scim']),
    };
  }

  view(record: SetReceiverRecord): SetReceiverView {
    return {
      id: record.id,
      name: record.name,
      audience: record.audience,
      events: record.events,
      delivery: record.delivery,
      enabled: record.enabled,
      poll_url: this.pollUrl(record.id),
      created: record.created.toISOString(),
      last_poll_at: record.lastPollAt?.toISOString() ?? null,
      acked_through: record.ackedThrough.toString(),
    };
  }

  private checkName(name: unknown): string {
    const trimmed = typeof name === 'string' ? name.trim() : '';
    if (!trimmed || trimmed.length > MAX_NAME) {
      throw ScimError.badRequest('invalidValue', `name must have 1 to ${MAX_NAME} characters.`);
    }
    return trimmed;
  }

  private checkAudience(audience: unknown): string {
    if (typeof audience !== 'string' || !audience.trim() || audience.length > MAX_AUDIENCE) {
      throw ScimError.badRequest('invalidValue', `audience must be a string of 1 to ${MAX_AUDIENCE} characters.`);
    }
    // A SET can never pass for an access token (typ and claims differ), but an audience that
    // names Roster's own API would make the confusion a configuration away.
    if (RESOURCES.some((kind) => resourceUrl(this.config, kind) === audience.trim())) {
      throw ScimError.badRequest('invalidValue', "audience must not be one of Roster's own resources.");
    }
    return audience.trim();
  }

  private checkEvents(events: unknown): string[] {
    if (!Array.isArray(events) || !events.length || events.length > SCIM_EVENT_URIS.length) {
      throw ScimError.badRequest(
        'invalidValue',
        `events must list 1 to ${SCIM_EVENT_URIS.length} SCIM event URIs of: ${SCIM_EVENT_URIS.join(', ')}.`,
      );
    }
    const unknown = events.filter((e) => typeof e !== 'string' || !isScimEventUri(e));
    if (unknown.length) {
      throw ScimError.badRequest(
        'invalidValue',
        `Unknown SCIM event URI ${unknown.map((u) => JSON.stringify(u).slice(0, 200)).join(', ')}; known: ${SCIM_EVENT_URIS.join(', ')}.`,
      );
    }
    return [...new Set(events as string[])];
  }
}

function errorView(error: SetErrorRecord): SetReceiverDetail['errors'][number] {
  return { jti: error.jti, err: error.err, description: error.description, time: error.time.toISOString() };
}
