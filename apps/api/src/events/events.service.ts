import { Injectable } from '@nestjs/common';
import { EventRecord, EventRow, EventsRepository, GroupRecord, Prisma, UserRecord, UserWrite } from '@roster/db';
import { isPlainObject, ROSTER_GROUP_SCHEMA } from '@roster/scim';
import { Actor, currentActor } from './actor-scope';

/** Event types (issue 14). */
export const EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deactivated',
  'user.reactivated',
  'user.deleted',
  'group.created',
  'group.updated',
  'group.deleted',
  'group.members_added',
  'group.members_removed',
  'token.created',
  'token.revoked',
  'client.registered',
  'client.deleted',
  'consent.granted',
  'consent.revoked',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One changed attribute: its path and new value (absent when removed, or when it is a secret). */
export interface Change {
  path: string;
  value?: unknown;
  /** Member changes: how many (the ids listed are the first MAX_EVENT_MEMBER_IDS). */
  count?: number;
}

/** What a group write changed in the member set (ids bounded, counts exact). */
export interface MemberChanges {
  added: string[];
  addedCount: number;
  removed: string[];
  removedCount: number;
}

export const NO_MEMBER_CHANGES: MemberChanges = { added: [], addedCount: 0, removed: [], removedCount: 0 };

/** Member ids one event lists at most; `count` says how many there were. */
export const MAX_EVENT_MEMBER_IDS = 1000;

/** What deactivating or deleting a user also ended (apps/api/src/auth/deprovision.ts). */
export const DEPROVISIONING_CASCADE = [
  'oauth_grants',
  'refresh_tokens',
  'access_tokens',
  'consents',
  'authorization_codes',
  'browser_sessions',
];

/** How long a read waits at most for committed events held back by an older running transaction. */
const SEQUENCE_WAIT_MS = 2000;

/** Attributes whose values never go into an event. */
const SECRET_PATHS = new Set(['password']);

export interface EventDraft {
  type: EventType;
  resourceType: string;
  resourceId: string;
  version?: number | null;
  changes?: Change[];
  detail?: Record<string, unknown>;
}

/**
 * The outbox: every write appends its events here, inside its own transaction, so there is never
 * a change without its event nor an event without its change. UsersService and GroupsService call
 * it once per write site; REST, Bulk, MCP and the CLI all reach it through them.
 */
@Injectable()
export class EventsService {
  constructor(private readonly events: EventsRepository) {}

  /** Appends drafts in one multi-row insert, with the actor of the current request. Call last in a transaction. */
  append(tx: Prisma.TransactionClient, drafts: EventDraft[], as?: Pick<Actor, 'kind' | 'id' | 'name'>): Promise<void> {
    if (!drafts.length) {
      return Promise.resolve();
    }
    const actor = { ...currentActor(), ...as };
    return this.events.append(
      tx,
      drafts.map((d) => toRow(d, actor)),
    );
  }

  /**
   * The rows `append` would write for `drafts`, for a write the store makes in one statement with
   * its events (UsersService's one-round-trip update): same rows, same actor.
   */
  rows(drafts: EventDraft[], as?: Pick<Actor, 'kind' | 'id' | 'name'>): EventRow[] {
    const actor = { ...currentActor(), ...as };
    return drafts.map((d) => toRow(d, actor));
  }

  /**
   * The event of one user write: created (no `before`), deleted (no `after`), or updated /
   * deactivated / reactivated; nothing when nothing changed.
   */
  user(tx: Prisma.TransactionClient, before: UserRecord | undefined, after: UserRecord | undefined): Promise<void> {
    return this.append(tx, userDrafts(before, after));
  }

  /**
   * Bulk's batched creations, once their rows are inserted: one INSERT … SELECT that takes each
   * event's changes from the stored document, so the documents are not sent twice (issue 14: the
   * event must cost a write at most 10 %).
   */
  usersCreated(tx: Prisma.TransactionClient, users: { id: string; write: UserWrite }[]): Promise<void> {
    const actor = currentActor();
    return this.events.appendUsersCreated(
      tx,
      users.map((u) => ({ id: u.id, password: u.write.passwordHash !== null })),
      {
        actorKind: actor.kind,
        actorId: actor.id,
        actorName: actor.name,
        requestId: actor.requestId,
        clientAddress: actor.clientAddress,
        userAgent: actor.userAgent,
      },
    );
  }

  /**
   * The events of one group write: created / deleted, or updated (document or logo) plus
   * members_added and members_removed, one each with the member ids.
   */
  group(
    tx: Prisma.TransactionClient,
    before: GroupRecord | undefined,
    after: GroupRecord | undefined,
    members: MemberChanges = NO_MEMBER_CHANGES,
    logoChanged = false,
  ): Promise<void> {
    return this.append(tx, groupDrafts(before, after, members, logoChanged));
  }

  /**
   * An event about a credential or permission (API tokens, OAuth clients, consents): names and
   * scopes only, never a token, secret or hash. The resource id of a consent is its user's.
   */
  credential(
    tx: Prisma.TransactionClient,
    type: Extract<EventType, `token.${string}` | `client.${string}` | `consent.${string}`>,
    resourceType: string,
    resourceId: string,
    changes: Change[] = [],
    as?: Pick<Actor, 'kind' | 'id' | 'name'>,
  ): Promise<void> {
    return this.append(tx, [{ type, resourceType, resourceId, changes }], as);
  }

  /**
   * An event about a webhook subscription (created, changed, disabled by the delivery engine,
   * deleted): its URL, types and state, never its secret (a rotation is named, not valued).
   */
  webhook(
    tx: Prisma.TransactionClient,
    type: Extract<EventType, `webhook.${string}`>,
    subscriptionId: string,
    changes: Change[] = [],
  ): Promise<void> {
    return this.append(tx, [{ type, resourceType: 'Webhook', resourceId: subscriptionId, changes }]);
  }

  /**
   * Events by position. Rows of finished transactions are given their positions first; committed
   * rows that must wait for an older transaction still running (anywhere in the PostgreSQL
   * cluster) are waited for, up to SEQUENCE_WAIT_MS, so that a reader normally sees a write that
   * committed before its read. Past that, they come in a later read, still in order.
   */
  async list(query: Parameters<EventsRepository['list']>[0]): Promise<EventRecord[]> {
    let pause = 10;
    for (let waited = 0; ; waited += pause, pause = Math.min(pause * 2, 200)) {
      await this.events.sequence();
      if (waited >= SEQUENCE_WAIT_MS || !(await this.events.hasPending())) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
    return this.events.list(query);
  }
}

function toRow(draft: EventDraft, actor: Actor): EventRow {
  return {
    type: draft.type,
    resourceType: draft.resourceType,
    resourceId: draft.resourceId,
    version: draft.version ?? null,
    changes: draft.changes ?? [],
    detail: draft.detail ?? null,
    actorKind: actor.kind,
    actorId: actor.id,
    actorName: actor.name,
    requestId: actor.requestId,
    clientAddress: actor.clientAddress,
    userAgent: actor.userAgent,
  };
}

export function userDrafts(before: UserRecord | undefined, after: UserRecord | undefined): EventDraft[] {
  if (!after) {
    return before
      ? [
          {
            type: 'user.deleted',
            resourceType: 'User',
            resourceId: before.id,
            version: before.version,
            detail: { cascade: DEPROVISIONING_CASCADE },
          },
        ]
      : [];
  }
  if (!before) {
    return [
      {
        type: 'user.created',
        resourceType: 'User',
        resourceId: after.id,
        version: after.version,
        changes: docChanges({}, after.doc, null, after.passwordHash),
      },
    ];
  }
  if (after.version === before.version) {
    return [];
  }
  const changes = docChanges(before.doc, after.doc, before.passwordHash, after.passwordHash);
  let type: EventType = 'user.updated';
  if (before.active && !after.active) {
    type = 'user.deactivated';
  } else if (!before.active && after.active) {
    type = 'user.reactivated';
  }
  return [
    {
      type,
      resourceType: 'User',
      resourceId: after.id,
      version: after.version,
      changes,
      ...(type === 'user.deactivated' ? { detail: { cascade: DEPROVISIONING_CASCADE } } : {}),
    },
  ];
}

export function groupDrafts(
  before: GroupRecord | undefined,
  after: GroupRecord | undefined,
  members: MemberChanges,
  logoChanged: boolean,
): EventDraft[] {
  if (!after) {
    return before
      ? [{ type: 'group.deleted', resourceType: 'Group', resourceId: before.id, version: before.version }]
      : [];
  }
  const base = { resourceType: 'Group', resourceId: after.id, version: after.version };
  if (!before) {
    const changes = docChanges({}, after.doc, null, null);
    if (members.addedCount) {
      changes.push({ path: 'members', value: members.added, count: members.addedCount });
    }
    return [{ type: 'group.created', ...base, changes }];
  }
  const drafts: EventDraft[] = [];
  const changes = docChanges(before.doc, after.doc, null, null);
  if (logoChanged) {
    changes.push({ path: `${ROSTER_GROUP_SCHEMA}:logo`, ...(after.hasLogo ? { value: 'Logo' } : {}) });
  }
  if (changes.length) {
    drafts.push({ type: 'group.updated', ...base, changes });
  }
  if (members.addedCount) {
    drafts.push({
      type: 'group.members_added',
      ...base,
      changes: [{ path: 'members', value: members.added, count: members.addedCount }],
    });
  }
  if (members.removedCount) {
    drafts.push({
      type: 'group.members_removed',
      ...base,
      changes: [{ path: 'members', value: members.removed, count: members.removedCount }],
    });
  }
  return drafts;
}

/**
 * The attribute paths that differ between two stored documents, with their new values: top-level
 * attributes by name, extension attributes as `urn:...:attribute`. A password is named, never valued.
 */
export function docChanges(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  passwordBefore: string | null,
  passwordAfter: string | null,
): Change[] {
  const changes: Change[] = [];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    if (SECRET_PATHS.has(key)) {
      continue;
    }
    const a = before[key];
    const b = after[key];
    if (key.startsWith('urn:') && (isPlainObject(a) || isPlainObject(b))) {
      const inner = docChanges(isPlainObject(a) ? a : {}, isPlainObject(b) ? b : {}, null, null);
      changes.push(...inner.map((c) => ({ ...c, path: `${key}:${c.path}` })));
      continue;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      changes.push(b === undefined ? { path: key } : { path: key, value: b });
    }
  }
  if (passwordBefore !== passwordAfter) {
    changes.push({ path: 'password' });
  }
  return changes;
}

/** Member changes from the deltas of member statements (either may be absent). */
export function memberChanges(
  added?: { count: number; ids: string[] },
  removed?: { count: number; ids: string[] },
): MemberChanges {
  return {
    added: added?.ids ?? [],
    addedCount: added?.count ?? 0,
    removed: removed?.ids ?? [],
    removedCount: removed?.count ?? 0,
  };
}

/** Two member changes of one request as one (a PATCH of several operations). */
export function mergeMemberChanges(a: MemberChanges, b: MemberChanges): MemberChanges {
  return {
    added: [...a.added, ...b.added].slice(0, MAX_EVENT_MEMBER_IDS),
    addedCount: a.addedCount + b.addedCount,
    removed: [...a.removed, ...b.removed].slice(0, MAX_EVENT_MEMBER_IDS),
    removedCount: a.removedCount + b.removedCount,
  };
}
