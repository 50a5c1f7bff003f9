/**
 * Roster's change events as SCIM security events: the claims of a Security Event Token (RFC 8417)
 * in the shape of the SCIM profile for SETs, draft-ietf-scim-events-16 (the revision published as
 * RFC 9967). Pure: no keys, no clock, no database; the caller signs the claims.
 *
 * One change event is one SET. Its `events` claim may hold more than one event URI when they arise
 * from the same change (a PATCH that deactivates a user is a `prov:patch:notice` and a
 * `prov:deactivate`, §2.1). Credentials, OAuth clients and consents are not SCIM resources: their
 * events (token.*, client.*, consent.*) have no SCIM event and produce no SET.
 */

const PREFIX = 'urn:ietf:params:scim:event:prov';

/** The SCIM event URIs Roster issues (draft-ietf-scim-events-16 §2.4). */
export const SCIM_EVENT = {
  createFull: `${PREFIX}:create:full`,
  createNotice: `${PREFIX}:create:notice`,
  patchNotice: `${PREFIX}:patch:notice`,
  delete: `${PREFIX}:delete`,
  activate: `${PREFIX}:activate`,
  deactivate: `${PREFIX}:deactivate`,
} as const;

export type ScimEventUri = (typeof SCIM_EVENT)[keyof typeof SCIM_EVENT];

export const SCIM_EVENT_URIS: readonly ScimEventUri[] = Object.values(SCIM_EVENT);

/** What a receiver gets when it names no event URIs: everything, creations in full. */
export const DEFAULT_SCIM_EVENT_URIS: readonly ScimEventUri[] = SCIM_EVENT_URIS.filter(
  (uri) => uri !== SCIM_EVENT.createNotice,
);

export function isScimEventUri(value: string): value is ScimEventUri {
  return (SCIM_EVENT_URIS as readonly string[]).includes(value);
}

/** The Roster event types (see apps/api/src/events) each SCIM event URI is made from. */
const SOURCES: Record<ScimEventUri, readonly string[]> = {
  [SCIM_EVENT.createFull]: ['user.created', 'group.created'],
  [SCIM_EVENT.createNotice]: ['user.created', 'group.created'],
  [SCIM_EVENT.patchNotice]: [
    'user.updated',
    'user.deactivated',
    'user.reactivated',
    'group.updated',
    'group.members_added',
    'group.members_removed',
  ],
  [SCIM_EVENT.delete]: ['user.deleted', 'group.deleted'],
  [SCIM_EVENT.activate]: ['user.reactivated'],
  [SCIM_EVENT.deactivate]: ['user.deactivated'],
};

/** The Roster event types a receiver of these URIs needs to see (what the feed query selects). */
export function changeTypesFor(uris: readonly string[]): string[] {
  const types = new Set<string>();
  for (const uri of uris) {
    if (isScimEventUri(uri)) {
      SOURCES[uri].forEach((type) => types.add(type));
    }
  }
  return [...types].sort();
}

/** One change event, as the outbox records it (a structural subset of the events table's row). */
export interface ChangeEventInput {
  /** Feed position: stable once given, unique. */
  seq: bigint;
  time: Date;
  type: string;
  resourceType: string;
  resourceId: string;
  version: number | null;
  /** `{ path, value?, count? }` per changed attribute; a password is named, never valued. */
  changes: unknown[];
  requestId: string | null;
  /** The database transaction that wrote the event: `txn` when no request id is known (CLI, jobs). */
  xid?: string | null;
}

/** Who a SET is for: its id (part of every jti), the `aud` claim, and the event URIs it asked for. */
export interface SetReceiverInput {
  id: string;
  audience: string;
  events: readonly string[];
}

export interface SubjectId {
  format: 'scim';
  uri: string;
  id: string;
  externalId?: string;
}

export interface SecurityEventClaims {
  iss: string;
  iat: number;
  jti: string;
  aud: string;
  txn?: string;
  toe: number;
  sub_id: SubjectId;
  events: Record<string, Record<string, unknown>>;
}

interface Change {
  path: string;
  value?: unknown;
  count?: number;
}

const COLLECTIONS: Record<string, string> = { User: 'Users', Group: 'Groups' };

/**
 * The SET's `jti`: 16 hex digits naming the receiver, then the event's feed position in 16 hex
 * digits. Stable, so a SET delivered again has the jti it had (RFC 8936 acknowledgements name it);
 * distinct per receiver, as §2.2 of the draft expects of the SETs one change makes for several.
 */
export function setJti(receiverTag: string, seq: bigint): string {
  return `${receiverTag}${seq.toString(16).padStart(16, '0')}`;
}

/** The feed position a jti of this receiver names, or undefined (another receiver's, or not ours). */
export function jtiPosition(receiverTag: string, jti: string): bigint | undefined {
  if (jti.length !== 32 || !jti.startsWith(receiverTag) || !/^[0-9a-f]{16}$/.test(jti.slice(16))) {
    return undefined;
  }
  const seq = BigInt(`0x${jti.slice(16)}`);
  return seq > 0n && seq <= 9223372036854775807n ? seq : undefined;
}

/** The SCIM events of one change for one receiver: event URI to payload; empty when it wants none. */
export function scimEventsOf(
  event: ChangeEventInput,
  wanted: ReadonlySet<string>,
  baseUrl: string,
): Record<string, Record<string, unknown>> {
  const collection = COLLECTIONS[event.resourceType];
  if (!collection) {
    return {};
  }
  const changes = event.changes.filter(isChange);
  const version = event.version !== null ? { version: `W/"${event.version}"` } : {};
  const events: Record<string, Record<string, unknown>> = {};
  switch (event.type) {
    case 'user.created':
    case 'group.created': {
      const data = wanted.has(SCIM_EVENT.createFull) ? fullResource(event, changes, collection, baseUrl) : undefined;
      if (data) {
        events[SCIM_EVENT.createFull] = { ...version, data };
      } else if (wanted.has(SCIM_EVENT.createFull) || wanted.has(SCIM_EVENT.createNotice)) {
        // Full when asked for and the event holds the whole resource; a group created with more
        // members than one event lists is announced by notice (the receiver reads the group).
        events[SCIM_EVENT.createNotice] = { ...version, attributes: ['id', ...attributePaths(changes)] };
      }
      break;
    }
    case 'user.updated':
    case 'user.deactivated':
    case 'user.reactivated':
    case 'group.updated':
    case 'group.members_added':
    case 'group.members_removed': {
      const attributes = attributePaths(changes);
      if (wanted.has(SCIM_EVENT.patchNotice) && attributes.length) {
        events[SCIM_EVENT.patchNotice] = { ...version, attributes };
      }
      if (event.type === 'user.deactivated' && wanted.has(SCIM_EVENT.deactivate)) {
        events[SCIM_EVENT.deactivate] = {};
      }
      if (event.type === 'user.reactivated' && wanted.has(SCIM_EVENT.activate)) {
        events[SCIM_EVENT.activate] = {};
      }
      break;
    }
    case 'user.deleted':
    case 'group.deleted':
      if (wanted.has(SCIM_EVENT.delete)) {
        // §2.4.4: a delete has no payload attributes.
        events[SCIM_EVENT.delete] = {};
      }
      break;
    default:
      // token.*, client.*, consent.*: not SCIM resources, no SCIM event.
      break;
  }
  return events;
}

/**
 * The claims of the SET for one change and one receiver, or null when the receiver asked for none
 * of the change's SCIM events. `issuer` is the public URL (the JWKS at `/.well-known/jwks.json`
 * verifies the signature); `issuedAt` is the signing time in seconds, `toe` the change's.
 */
export function securityEventClaims(
  event: ChangeEventInput,
  receiver: SetReceiverInput & { tag: string },
  issuer: string,
  issuedAt: number,
): SecurityEventClaims | null {
  const events = scimEventsOf(event, new Set(receiver.events), `${issuer}/v2`);
  if (!Object.keys(events).length) {
    return null;
  }
  const collection = COLLECTIONS[event.resourceType];
  const externalId = event.changes.filter(isChange).find((c) => c.path === 'externalId')?.value;
  const txn = event.requestId ?? (event.xid ? `xid:${event.xid}` : undefined);
  return {
    iss: issuer,
    iat: issuedAt,
    jti: setJti(receiver.tag, event.seq),
    aud: receiver.audience,
    ...(txn ? { txn } : {}),
    toe: Math.floor(event.time.getTime() / 1000),
    // §2.1: the subject is sub_id (RFC 9493, format "scim"), never `sub`.
    sub_id: {
      format: 'scim',
      uri: `/${collection}/${event.resourceId}`,
      id: event.resourceId,
      ...(typeof externalId === 'string' ? { externalId } : {}),
    },
    events,
  };
}

function isChange(value: unknown): value is Change {
  return typeof value === 'object' && value !== null && typeof (value as Change).path === 'string';
}

/** Changed attribute names as RFC 7644 paths (extension attributes with their URN), once each. */
function attributePaths(changes: Change[]): string[] {
  return [...new Set(changes.map((c) => c.path))];
}

/**
 * The created resource as the outbox recorded it, for `create:full`: every attribute with its
 * value (extension attributes nested under their URN again), members as `{ value }`. Undefined
 * when the event does not hold the whole resource (a member list cut at the event's bound).
 * A password is never in it: the outbox names a password without its value.
 */
function fullResource(
  event: ChangeEventInput,
  changes: Change[],
  collection: string,
  baseUrl: string,
): Record<string, unknown> | undefined {
  const data: Record<string, unknown> = {};
  for (const change of changes) {
    if (change.value === undefined || change.path === 'password') {
      continue;
    }
    if (change.path === 'members') {
      const ids = Array.isArray(change.value) ? change.value.filter((v): v is string => typeof v === 'string') : [];
      if (change.count !== undefined && change.count !== ids.length) {
        return undefined;
      }
      data.members = ids.map((value) => ({ value }));
      continue;
    }
    const split = change.path.startsWith('urn:') ? change.path.lastIndexOf(':') : -1;
    if (split > 0) {
      const urn = change.path.slice(0, split);
      const extension = (data[urn] ?? {}) as Record<string, unknown>;
      extension[change.path.slice(split + 1)] = change.value;
      data[urn] = extension;
    } else {
      data[change.path] = change.value;
    }
  }
  data.id = event.resourceId;
  data.meta = {
    resourceType: event.resourceType,
    created: event.time.toISOString(),
    lastModified: event.time.toISOString(),
    location: `${baseUrl}/${collection}/${event.resourceId}`,
    ...(event.version !== null ? { version: `W/"${event.version}"` } : {}),
  };
  return data;
}
