import { Inject, Injectable } from '@nestjs/common';
import {
  bindQueryScope,
  GroupRecord,
  GroupsRepository,
  GroupWrite,
  isUniqueViolation,
  MemberKey,
  MemberRow,
  MemberType,
  StoreTransaction,
} from '@roster/db';
import {
  applyPatch,
  checkImmutable,
  compileProjection,
  GROUP_SCHEMA,
  isPlainObject,
  matchesElement,
  MAX_MEMBERS_PER_REQUEST,
  MemberOp,
  MemberRef,
  normalizeInput,
  parsePatchRequest,
  Projection,
  ROSTER_GROUP_SCHEMA,
  SchemaRegistry,
  ScimError,
} from '@roster/scim';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { CursorCodec } from '../common/cursors';
import { assertIfMatch, isResourceId } from '../common/etag';
import { ListRequest, Projected } from '../common/list-query';
import { fetchPage, PageSource, toListResponse } from '../common/paging';
import { APP_CONFIG, AppConfig } from '../config';
import {
  EventsService,
  groupDrafts,
  MemberChanges,
  memberChanges,
  mergeMemberChanges,
  NO_MEMBER_CHANGES,
} from '../events/events.service';
import { ListResult } from '../users/users.service';
import { detectLogoType } from './logo';
import { throwIfExtensionConflict } from '../schemas/extension-conflict';

export interface GroupResult {
  /** The group without its members; `members` says how to add them. */
  resource: Record<string, unknown>;
  version: number;
  location: string;
  /** Members are read only when the projection asks for them. */
  members?: 'inline' | 'stream';
}

/** Optimistic document-only PATCHes of one group (read, compute, conditional write) before the row lock. */
const OPTIMISTIC_ATTEMPTS = 3;

/** Members are streamed from the database in pages of this size. */
const MEMBER_PAGE = 5000;

/**
 * SCIM semantics for groups. Members live in their own table and change only by deltas; a group
 * row is locked for the length of a change, and its version moves with every member change.
 */
@Injectable()
export class GroupsService {
  private readonly baseUrl: string;
  private readonly logoMaxDimension: number;

  constructor(
    private readonly groups: GroupsRepository,
    private readonly registry: SchemaRegistry,
    private readonly cursors: CursorCodec,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: EventsService,
  ) {
    this.baseUrl = `${config.publicUrl}/v2`;
    this.logoMaxDimension = config.http.logoMaxDimension;
  }

  location(id: string): string {
    return `${this.baseUrl}/Groups/${id}`;
  }

  async get(id: string, projected: Projected = {}): Promise<GroupResult> {
    const record = isResourceId(id) ? await this.groups.findById(id) : undefined;
    if (!record) {
      throw ScimError.notFound(`Group ${id} not found.`);
    }
    return this.result(record, projected);
  }

  /**
   * The group as a stream of JSON: the resource, then its members read page by page, so that a
   * group of 100,000 members never sits in memory as a whole.
   */
  stream(result: GroupResult, projected: Projected): Readable {
    return Readable.from(this.groupChunks(result.resource, this.projection(projected), this.boundMemberPage()));
  }

  /** Member pages read on behalf of the current request, also when a stream reads them later. */
  private boundMemberPage(): GroupsRepository['memberPage'] {
    return bindQueryScope((groupId: string, afterId: string | undefined, limit: number) =>
      this.groups.memberPage(groupId, afterId, limit),
    );
  }

  /**
   * A list response whose groups carry their members, streamed like a single group: members are
   * read page by page, group after group, so a page of large groups never sits in memory whole.
   * Without members in the projection it is the plain list.
   */
  async listForHttp(request: ListRequest): Promise<ListResult | Readable> {
    const projection = this.projection(request);
    if (!projection.wants('members')) {
      return this.list(request);
    }
    const page = await this.page(request);
    const resources = page.rows.map((record) => projection.apply(this.represent(record)));
    // Resources is the envelope's last key, so its JSON ends with `"Resources":[]}`.
    const head = JSON.stringify({ ...toListResponse(page, resources), Resources: [] }).slice(0, -2);
    const memberPage = this.boundMemberPage();
    const chunks = async function* (this: GroupsService): AsyncGenerator<string> {
      yield head;
      for (const [i, resource] of resources.entries()) {
        if (i > 0) {
          yield ',';
        }
        yield* this.groupChunks(resource, projection, memberPage);
      }
      yield ']}';
    };
    return Readable.from(chunks.call(this));
  }

  /** One group's JSON: the resource, then its members read in pages of MEMBER_PAGE. */
  private async *groupChunks(
    resource: Record<string, unknown>,
    projection: Projection,
    memberPage: GroupsRepository['memberPage'],
  ): AsyncGenerator<string> {
    const head = JSON.stringify(resource);
    const groupId = String(resource.id);
    let after: string | undefined;
    let first = true;
    for (;;) {
      const rows = await memberPage(groupId, after, MEMBER_PAGE);
      if (first && rows.length === 0) {
        yield head;
        return;
      }
      const json = this.projectMembers(projection, groupId, rows)
        .map((m) => JSON.stringify(m))
        .join(',');
      if (first) {
        yield `${head.slice(0, -1)},"members":[${json}`;
        first = false;
      } else if (json) {
        yield `,${json}`;
      }
      if (rows.length < MEMBER_PAGE) {
        yield ']}';
        return;
      }
      after = rows[rows.length - 1].memberId;
    }
  }

  async create(body: unknown, projected: Projected = {}): Promise<GroupResult> {
    const { write, members } = this.input(body, 'create');
    const record = await this.uniquely(write.displayName, () =>
      this.groups.transaction(async (tx) => {
        const id = randomUUID();
        const now = new Date();
        const created = await this.groups.insert(tx, id, write, now);
        const added = members
          ? await this.groups.addMembers(tx, id, await this.resolveMembers(tx, id, members), now)
          : undefined;
        await this.events.group(tx, undefined, created, memberChanges(added));
        return created;
      }),
    );
    return this.result(record, projected);
  }

  async replace(
    id: string,
    body: unknown,
    ifMatch: string | undefined,
    projected: Projected = {},
  ): Promise<GroupResult> {
    const { write, members } = this.input(body, 'replace');
    const record = await this.mutate(id, ifMatch, write.displayName, async (tx, current) => {
      checkImmutable(this.registry, 'Group', current.doc, write.doc);
      const now = new Date();
      const updated = await this.groups.update(tx, current, write, now);
      // PUT replaces the member set too, applied as a diff against what is stored.
      const delta = await this.groups.replaceMembers(
        tx,
        id,
        members ? await this.resolveMembers(tx, id, members) : [],
        now,
      );
      await this.events.group(tx, current, updated, memberChanges(delta.added, delta.removed));
      return updated;
    });
    return this.result(record, projected);
  }

  async patch(id: string, body: unknown, ifMatch: string | undefined, projected: Projected = {}): Promise<GroupResult> {
    const operations = parsePatchRequest(body);
    let displayName = '';
    const optimistic = isResourceId(id)
      ? await this.uniquely(
          () => displayName,
          () => this.patchDocument(id, operations, ifMatch, (name) => (displayName = name)),
        )
      : undefined;
    if (optimistic) {
      return this.result(optimistic, projected);
    }
    const record = await this.mutate(
      id,
      ifMatch,
      () => displayName,
      async (tx, current) => {
        const result = applyPatch(this.registry, 'Group', current.doc, operations);
        const now = new Date();
        let record = current;
        if (!sameJson(result.doc, current.doc)) {
          const { write } = this.input(result.doc, 'replace');
          displayName = write.displayName;
          checkImmutable(this.registry, 'Group', current.doc, write.doc);
          record = await this.groups.update(tx, current, write, now);
        }
        let members = NO_MEMBER_CHANGES;
        for (const op of result.memberOps) {
          members = mergeMemberChanges(members, await this.applyMemberOp(tx, id, op, now));
        }
        if (members.addedCount + members.removedCount > 0 && record === current) {
          record = await this.groups.touch(tx, current, now);
        }
        await this.events.group(tx, current, record, members);
        return record;
      },
    );
    return this.result(record, projected);
  }

  /**
   * A PATCH that changes only the group's document (displayName, externalId, extensions: what Entra
   * ID sends most), written like a user's (UsersService.mutate): the row read, the patch applied,
   * and one statement that writes it with its event only at the version read; a lost race reads
   * again (412 with If-Match, 404 when gone). Undefined when the PATCH changes members, or keeps
   * losing races: the locked transaction then runs it.
   */
  private async patchDocument(
    id: string,
    operations: ReturnType<typeof parsePatchRequest>,
    ifMatch: string | undefined,
    named: (displayName: string) => void,
  ): Promise<GroupRecord | undefined> {
    for (let attempt = 1; attempt <= OPTIMISTIC_ATTEMPTS; attempt++) {
      const current = await this.groups.findById(id);
      if (!current) {
        throw ScimError.notFound(`Group ${id} not found.`);
      }
      assertIfMatch(ifMatch, current.version);
      const result = applyPatch(this.registry, 'Group', current.doc, operations);
      if (result.memberOps.length) {
        return undefined;
      }
      if (sameJson(result.doc, current.doc)) {
        return current;
      }
      const { write } = this.input(result.doc, 'replace');
      named(write.displayName);
      checkImmutable(this.registry, 'Group', current.doc, write.doc);
      const now = new Date();
      const after: GroupRecord = { ...current, ...write, version: current.version + 1, lastModified: now };
      const updated = await this.groups.updateIfVersion(
        current,
        write,
        now,
        this.events.rows(groupDrafts(current, after, NO_MEMBER_CHANGES, false)),
      );
      if (updated) {
        return updated;
      }
    }
    return undefined;
  }

  async delete(id: string, ifMatch: string | undefined): Promise<void> {
    if (!isResourceId(id)) {
      throw ScimError.notFound(`Group ${id} not found.`);
    }
    await this.groups.transaction(async (tx) => {
      const current = await this.groups.findByIdForUpdate(tx, id);
      if (!current) {
        throw ScimError.notFound(`Group ${id} not found.`);
      }
      assertIfMatch(ifMatch, current.version);
      await this.groups.delete(tx, id);
      await this.events.group(tx, current, undefined);
    });
  }

  /** A list response in memory, for callers that need an object (MCP, Bulk); HTTP streams. */
  async list(request: ListRequest): Promise<ListResult> {
    const page = await this.page(request);
    const projection = this.projection(request);
    const members = projection.wants('members') ? await this.groups.membersOf(page.rows.map((r) => r.id)) : [];
    const byGroup = new Map<string, MemberRow[]>();
    for (const row of members) {
      const rows = byGroup.get(row.groupId);
      if (rows) {
        rows.push(row);
      } else {
        byGroup.set(row.groupId, [row]);
      }
    }
    const resources = page.rows.map((record) => {
      const resource = projection.apply(this.represent(record));
      const rows = byGroup.get(record.id);
      return rows?.length ? withMembers(resource, this.projectMembers(projection, record.id, rows)) : resource;
    });
    return toListResponse(page, resources);
  }

  private page(request: ListRequest) {
    const source: PageSource<GroupRecord & { sortKey?: unknown }> = {
      page: (query) => this.groups.page(query),
      count: (where, params) => this.groups.count(where, params),
      stamps: true,
    };
    return fetchPage(request, source, {
      registry: this.registry,
      resourceType: 'Group',
      baseUrl: this.baseUrl,
      cursorTimeoutSeconds: 3600,
      cursors: this.cursors,
      maxFilterCost: this.config.filter.maxCost,
    });
  }

  private async applyMemberOp(tx: StoreTransaction, groupId: string, op: MemberOp, now: Date): Promise<MemberChanges> {
    switch (op.kind) {
      case 'add':
        return memberChanges(
          await this.groups.addMembers(tx, groupId, await this.resolveMembers(tx, groupId, op.values), now),
        );
      case 'replace': {
        const delta = await this.groups.replaceMembers(
          tx,
          groupId,
          await this.resolveMembers(tx, groupId, op.values),
          now,
        );
        return memberChanges(delta.added, delta.removed);
      }
      case 'remove':
        // Removing a member that is not there is not an error; ids that are not UUIDs name nobody.
        return memberChanges(
          undefined,
          await this.groups.removeMembers(
            tx,
            groupId,
            op.values.filter(isResourceId).map((v) => v.toLowerCase()),
          ),
        );
      case 'removeAll':
        return memberChanges(undefined, await this.groups.removeAllMembers(tx, groupId));
      case 'removeWhere':
        return memberChanges(
          undefined,
          await this.groups.removeMembersWhere(tx, groupId, op.filter, {
            registry: this.registry,
            baseUrl: this.baseUrl,
          }),
        );
    }
  }

  /** Checks that every member names an existing user or group, of the stated type, without a cycle. */
  private async resolveMembers(tx: StoreTransaction, groupId: string, refs: MemberRef[]): Promise<MemberKey[]> {
    if (refs.length > MAX_MEMBERS_PER_REQUEST) {
      throw ScimError.badRequest(
        'invalidValue',
        `A request may name at most ${MAX_MEMBERS_PER_REQUEST} members; send larger sets in several requests.`,
      );
    }
    const unique = new Map<string, MemberRef>();
    for (const ref of refs) {
      if (!isResourceId(ref.value)) {
        throw ScimError.badRequest('invalidValue', `Member "${ref.value}" names no user or group.`);
      }
      unique.set(ref.value.toLowerCase(), ref);
    }
    const types = await this.groups.classify([...unique.keys()], tx);
    const members: MemberKey[] = [];
    for (const [id, ref] of unique) {
      const type = types.get(id);
      if (!type) {
        throw ScimError.badRequest('invalidValue', `Member "${ref.value}" names no user or group.`);
      }
      if (ref.type && ref.type !== type) {
        throw ScimError.badRequest('invalidValue', `Member "${ref.value}" is a ${type}, not a ${ref.type}.`);
      }
      members.push({ id, type, ...(ref.display ? { display: ref.display } : {}) });
    }
    const childGroups = members.filter((m) => m.type === 'Group').map((m) => m.id);
    if (childGroups.length) {
      await this.groups.lockGroupGraph(tx);
      const cycle = await this.groups.wouldCycle(tx, groupId, childGroups);
      if (cycle) {
        throw ScimError.badRequest(
          'invalidValue',
          cycle === groupId
            ? 'A group cannot be a member of itself.'
            : `Adding group ${cycle} would make a cycle: it already contains this group.`,
        );
      }
    }
    return members;
  }

  private input(body: unknown, mode: 'create' | 'replace'): { write: GroupWrite; members?: MemberRef[] } {
    const input = normalizeInput(this.registry, 'Group', body, mode);
    const { members, ...doc } = input.doc;
    const displayName = doc.displayName;
    if (typeof displayName !== 'string' || displayName === '') {
      throw ScimError.badRequest('invalidValue', 'Attribute "displayName" is required.');
    }
    return {
      write: { displayName, externalId: typeof doc.externalId === 'string' ? doc.externalId : null, doc },
      ...(Array.isArray(members) ? { members: members.filter(isPlainObject).map(toMemberRef) } : {}),
    };
  }

  private async mutate(
    id: string,
    ifMatch: string | undefined,
    displayName: string | (() => string),
    change: (tx: StoreTransaction, current: GroupRecord) => Promise<GroupRecord>,
  ): Promise<GroupRecord> {
    if (!isResourceId(id)) {
      throw ScimError.notFound(`Group ${id} not found.`);
    }
    return this.uniquely(displayName, () =>
      this.groups.transaction(async (tx) => {
        const current = await this.groups.findByIdForUpdate(tx, id);
        if (!current) {
          throw ScimError.notFound(`Group ${id} not found.`);
        }
        assertIfMatch(ifMatch, current.version);
        return change(tx, current);
      }),
    );
  }

  private async uniquely<T>(displayName: string | (() => string), run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throwIfExtensionConflict(this.registry, error);
        const name = typeof displayName === 'function' ? displayName() : displayName;
        throw ScimError.conflict(`A group named "${name}" already exists (displayName is unique, case-insensitively).`);
      }
      throw error;
    }
  }

  private projection(projected: Projected): Projection {
    return compileProjection(this.registry, 'Group', {
      ...projected,
      matchElement: (filter, element) => matchesElement(filter, element),
    });
  }

  private projectMembers(projection: Projection, groupId: string, rows: MemberRow[]): Record<string, unknown>[] {
    const members = rows.map((row) => ({
      value: row.memberId,
      $ref: `${this.baseUrl}/${row.type === 'User' ? 'Users' : 'Groups'}/${row.memberId}`,
      ...(row.display !== null ? { display: row.display } : {}),
      type: row.type,
    }));
    const projected = projection.apply({ schemas: [GROUP_SCHEMA], id: groupId, members });
    return Array.isArray(projected.members) ? (projected.members as Record<string, unknown>[]) : [];
  }

  private result(record: GroupRecord, projected: Projected): GroupResult {
    const projection = this.projection(projected);
    const resource = projection.apply(this.represent(record));
    const wantsMembers = projection.wants('members');
    return {
      resource,
      version: record.version,
      location: this.location(record.id),
      ...(wantsMembers ? { members: 'stream' as const } : {}),
    };
  }

  /** The group without members (they are added by the caller, inline or streamed). */
  private represent(record: GroupRecord): Record<string, unknown> {
    const { externalId, ...doc } = record.doc;
    const extension = record.hasLogo ? { [ROSTER_GROUP_SCHEMA]: { logo: `${this.location(record.id)}/Logo` } } : {};
    return {
      schemas: [GROUP_SCHEMA, ...(record.hasLogo ? [ROSTER_GROUP_SCHEMA] : [])],
      id: record.id,
      ...(externalId !== undefined ? { externalId } : {}),
      ...doc,
      ...extension,
      meta: {
        resourceType: 'Group',
        created: record.created.toISOString(),
        lastModified: record.lastModified.toISOString(),
        location: this.location(record.id),
        version: `W/"${record.version}"`,
      },
    };
  }

  /** Stores (or replaces) a group's logo; the group's version moves with it. */
  async setLogo(
    id: string,
    content: Buffer,
    declaredType: string | undefined,
    ifMatch: string | undefined,
    projected: Projected = {},
  ): Promise<GroupResult> {
    const mediaType = detectLogoType(content, declaredType, this.logoMaxDimension);
    const sha256 = createHash('sha256').update(content).digest('hex');
    const record = await this.mutate(id, ifMatch, '', async (tx, current) => {
      const now = new Date();
      await this.groups.saveLogo(tx, id, { mediaType, content, sha256 }, now);
      const updated = { ...(await this.groups.touch(tx, current, now)), hasLogo: true };
      await this.events.group(tx, current, updated, NO_MEMBER_CHANGES, true);
      return updated;
    });
    return this.result(record, projected);
  }

  async getLogo(id: string): Promise<{ mediaType: string; content: Buffer; etag: string }> {
    const logo = isResourceId(id) ? await this.groups.findLogo(id) : undefined;
    if (!logo) {
      throw ScimError.notFound(`Group ${id} has no logo.`);
    }
    return { mediaType: logo.mediaType, content: logo.content, etag: `"${logo.sha256.slice(0, 32)}"` };
  }

  async deleteLogo(id: string, ifMatch: string | undefined): Promise<void> {
    await this.mutate(id, ifMatch, '', async (tx, current) => {
      if (!(await this.groups.deleteLogo(tx, id))) {
        throw ScimError.notFound(`Group ${id} has no logo.`);
      }
      const updated = { ...(await this.groups.touch(tx, current, new Date())), hasLogo: false };
      await this.events.group(tx, current, updated, NO_MEMBER_CHANGES, true);
      return updated;
    });
  }

  /** How many members a group has (MCP answers say it beside a page of them). */
  memberCount(groupId: string): Promise<number> {
    return this.groups.memberCount(groupId);
  }

  /** One page of a group's members in member-id order after `afterId`, read for the current request. */
  memberPage(groupId: string, afterId: string | undefined, limit: number): Promise<MemberRow[]> {
    return this.groups.memberPage(groupId, afterId, limit);
  }

  /** Members of a group as a plain array (for MCP and Bulk responses that are small by construction). */
  async members(groupId: string, projected: Projected = {}): Promise<Record<string, unknown>[]> {
    const rows = await this.groups.membersOf([groupId]);
    return this.projectMembers(this.projection(projected), groupId, rows);
  }
}

function withMembers(resource: Record<string, unknown>, members: Record<string, unknown>[]): Record<string, unknown> {
  return members.length ? { ...resource, members } : resource;
}

function toMemberRef(member: Record<string, unknown>): MemberRef {
  const type = typeof member.type === 'string' ? canonicalType(member.type) : undefined;
  const display = typeof member.display === 'string' && member.display !== '' ? member.display : undefined;
  return {
    value: typeof member.value === 'string' ? member.value : '',
    ...(type ? { type } : {}),
    ...(display ? { display } : {}),
  };
}

function canonicalType(type: string): MemberType {
  const lower = type.toLowerCase();
  if (lower === 'user') {
    return 'User';
  }
  if (lower === 'group') {
    return 'Group';
  }
  throw ScimError.badRequest('invalidValue', `Member type must be "User" or "Group", not "${type}".`);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
