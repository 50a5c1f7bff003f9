import { Inject, Injectable } from '@nestjs/common';
import {
  bindQueryScope,
  INLINE_GROUPS_MAX,
  isUniqueViolation,
  UserEmailRow,
  UserRecord,
  UsersRepository,
  UserWrite,
} from '@roster/db';
import {
  applyPatch,
  checkImmutable,
  compileProjection,
  ENTERPRISE_USER_SCHEMA,
  isPlainObject,
  matchesElement,
  normalizeInput,
  parsePatchRequest,
  Projection,
  SchemaRegistry,
  ScimError,
  USER_SCHEMA,
} from '@roster/scim';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { CursorCodec } from '../common/cursors';
import { assertIfMatch, isResourceId } from '../common/etag';
import { ListRequest, Projected } from '../common/list-query';
import { fetchPage, ListResponse, PageSource, toListResponse } from '../common/paging';
import { hashPassword } from '../common/password';
import { revokeUserAccess } from '../auth/deprovision';
import { APP_CONFIG, AppConfig } from '../config';
import { EventsService, userDrafts } from '../events/events.service';
import { throwIfExtensionConflict } from '../schemas/extension-conflict';

export interface UserResult {
  resource: Record<string, unknown>;
  version: number;
  location: string;
}

export type ListResult = ListResponse;

/** A user `createMany` created, without rendering it: bulk imports answer with where it is, not what it is. */
export interface CreatedUser {
  id: string;
  version: number;
  location: string;
}

/** A created user, or what `create` would have thrown for that body (a ScimError, or a database failure). */
export type CreateOutcome = CreatedUser | { error: unknown };

/** Optimistic writes of one user (read, compute, conditional write) before falling back to a row lock. */
const OPTIMISTIC_ATTEMPTS = 3;

/** Users rendered at once in a list: one memberships statement each, and the most a list holds in memory. */
export const RENDER_CHUNK = 50;

/**
 * SCIM semantics for users: validation against the schema registry, PATCH, preconditions,
 * uniqueness, passwords and projection. REST, Bulk and MCP all call this service.
 */
@Injectable()
export class UsersService {
  private readonly baseUrl: string;

  constructor(
    private readonly users: UsersRepository,
    private readonly registry: SchemaRegistry,
    private readonly cursors: CursorCodec,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: EventsService,
  ) {
    this.baseUrl = `${config.publicUrl}/v2`;
  }

  location(id: string): string {
    return `${this.baseUrl}/Users/${id}`;
  }

  async get(id: string, projected: Projected = {}): Promise<UserResult> {
    const record = isResourceId(id) ? await this.users.findByIdWithGroups(id) : undefined;
    if (!record) {
      throw ScimError.notFound(`User ${id} not found.`);
    }
    return this.result(record, projected);
  }

  async create(body: unknown, projected: Projected = {}): Promise<UserResult> {
    const write = await this.prepareCreate(body);
    const record = await this.insertOne(write);
    return this.result(record, projected);
  }

  /**
   * Creates several users, each validated exactly as `create` validates it, with multi-row
   * INSERTs in one transaction (Bulk's path for large imports). When that transaction fails (a
   * userName taken by another item or by an existing user, typically), nothing of it stays, and
   * each user is created in its own transaction instead, so that each gets its own answer.
   *
   * Never throws: a body's outcome is its user or the error `create` would have thrown for it, in
   * order. Stops after `maxErrors` failures: the outcomes then end with the failure that reached
   * it, and the bodies after it are not created.
   */
  async createMany(bodies: unknown[], options: { maxErrors?: number } = {}): Promise<CreateOutcome[]> {
    const maxErrors = options.maxErrors ?? Number.POSITIVE_INFINITY;
    // Passwords hash in parallel on libuv's thread pool; everything else is synchronous.
    const settled = await Promise.allSettled(bodies.map((body) => this.prepareCreate(body)));
    const prepared: ({ id: string; write: UserWrite } | { error: unknown })[] = [];
    let errors = 0;
    for (const item of settled) {
      if (errors >= maxErrors) {
        break;
      }
      if (item.status === 'fulfilled') {
        prepared.push({ id: randomUUID(), write: item.value });
      } else {
        prepared.push({ error: item.reason });
        errors++;
      }
    }
    const valid = prepared.filter((p): p is { id: string; write: UserWrite } => 'write' in p);
    try {
      const now = new Date();
      if (valid.length > 0) {
        await this.users.transaction(async (tx) => {
          await this.users.insertMany(tx, valid, now);
          await this.events.usersCreated(tx, valid);
        });
      }
      return prepared.map((p) => ('write' in p ? this.created(p.id, 1) : p));
    } catch {
      // The transaction left nothing behind; one by one, each failure stays with its own body.
    }
    const outcomes: CreateOutcome[] = [];
    errors = 0;
    for (const item of prepared) {
      if (errors >= maxErrors) {
        break;
      }
      if (!('write' in item)) {
        outcomes.push(item);
        errors++;
        continue;
      }
      try {
        const record = await this.insertOne(item.write, item.id);
        outcomes.push(this.created(record.id, record.version));
      } catch (error) {
        outcomes.push({ error });
        errors++;
      }
    }
    return outcomes;
  }

  async replace(
    id: string,
    body: unknown,
    ifMatch: string | undefined,
    projected: Projected = {},
  ): Promise<UserResult> {
    const input = normalizeInput(this.registry, 'User', body, 'replace');
    const passwordHash = input.password === undefined ? undefined : await hashPassword(input.password);
    const record = await this.mutate(id, ifMatch, async (current) => {
      checkImmutable(this.registry, 'User', current.doc, input.doc);
      return this.toWrite(input.doc, passwordHash === undefined ? current.passwordHash : passwordHash);
    });
    return this.result(record, projected);
  }

  async patch(id: string, body: unknown, ifMatch: string | undefined, projected: Projected = {}): Promise<UserResult> {
    const operations = parsePatchRequest(body);
    const record = await this.mutate(id, ifMatch, async (current) => {
      const result = applyPatch(this.registry, 'User', current.doc, operations);
      if (!result.changed) {
        return undefined;
      }
      // The patched document goes through the same validation as a PUT body.
      const input = normalizeInput(this.registry, 'User', result.doc, 'replace');
      checkImmutable(this.registry, 'User', current.doc, input.doc);
      let passwordHash = current.passwordHash;
      if (result.password === null) {
        passwordHash = null;
      } else if (typeof result.password === 'string') {
        passwordHash = await hashPassword(result.password);
      }
      return this.toWrite(input.doc, passwordHash);
    });
    return this.result(record, projected);
  }

  async delete(id: string, ifMatch: string | undefined): Promise<void> {
    if (!isResourceId(id)) {
      throw ScimError.notFound(`User ${id} not found.`);
    }
    await this.users.transaction(async (tx) => {
      const current = await this.users.findByIdForUpdate(tx, id);
      if (!current) {
        throw ScimError.notFound(`User ${id} not found.`);
      }
      assertIfMatch(ifMatch, current.version);
      await revokeUserAccess(tx, id);
      await this.users.delete(tx, id);
      await this.events.user(tx, current, undefined);
    });
  }

  /** A list response in memory, for callers that need an object (MCP, Bulk); HTTP streams large pages. */
  async list(request: ListRequest): Promise<ListResult> {
    const projection = this.projection(request);
    const page = await this.page(request, projection);
    const resources: Record<string, unknown>[] = [];
    for (let start = 0; start < page.rows.length; start += RENDER_CHUNK) {
      resources.push(...(await this.render(page.rows.slice(start, start + RENDER_CHUNK), projection)));
    }
    return toListResponse(page, resources);
  }

  /**
   * A list response for HTTP. A page larger than one chunk is written as a stream, rendered
   * RENDER_CHUNK users at a time (groups and manager names read per chunk), so that a page of
   * 1,000 users in 50 nested groups never sits in memory as one document (issue 10, finding 2);
   * the stream is read as the client reads, so a slow client holds one chunk, not the page.
   */
  async listForHttp(request: ListRequest): Promise<ListResult | Readable> {
    const projection = this.projection(request);
    const page = await this.page(request, projection);
    if (page.rows.length <= RENDER_CHUNK) {
      return toListResponse(page, await this.render(page.rows, projection));
    }
    // Resources is the envelope's last key, so its JSON ends with `"Resources":[]}`.
    const head = JSON.stringify({ ...toListResponse(page, []), itemsPerPage: page.rows.length }).slice(0, -2);
    const render = bindQueryScope((records: UserRecord[]) => this.render(records, projection));
    const chunks = async function* (): AsyncGenerator<string> {
      yield head;
      for (let start = 0; start < page.rows.length; start += RENDER_CHUNK) {
        const resources = await render(page.rows.slice(start, start + RENDER_CHUNK));
        yield (start > 0 ? ',' : '') + resources.map((r) => JSON.stringify(r)).join(',');
      }
      yield ']}';
    };
    return Readable.from(chunks());
  }

  /** One page; a page of up to INLINE_GROUPS_MAX users reads its users' groups in the same statement. */
  private page(request: ListRequest, projection: Projection) {
    const withGroups = projection.wants('groups') && request.count <= INLINE_GROUPS_MAX;
    const source: PageSource<UserRecord & { sortKey?: unknown }> = {
      page: (query) => this.users.page({ ...query, withGroups }),
      count: (where, params) => this.users.count(where, params),
      stamps: true,
    };
    return fetchPage(request, source, {
      registry: this.registry,
      resourceType: 'User',
      baseUrl: this.baseUrl,
      cursorTimeoutSeconds: 3600,
      cursors: this.cursors,
      maxFilterCost: this.config.filter.maxCost,
    });
  }

  /**
   * Read-modify-write in one round trip per step (issue 12 item 5): the row is read with its
   * groups (one statement), If-Match is checked against that version, the new document computed,
   * and written with one statement that applies only if the version is still the one read
   * (`updateIfVersion`: the row, changed email rows and the change event together). A lost race
   * (another writer in between) reads again: If-Match then fails with 412 as it should, a deleted
   * row is 404, and otherwise the change is computed again on the new state. After
   * OPTIMISTIC_ATTEMPTS lost races, and for a deactivation (its revocation cascade needs a
   * transaction), the write runs under a row lock instead. `change` returns undefined when nothing
   * is to be written.
   */
  private async mutate(
    id: string,
    ifMatch: string | undefined,
    change: (current: UserRecord) => Promise<UserWrite | undefined>,
  ): Promise<UserRecord> {
    if (!isResourceId(id)) {
      throw ScimError.notFound(`User ${id} not found.`);
    }
    let write: UserWrite | undefined;
    return this.uniquely(
      () => write,
      async () => {
        for (let attempt = 1; attempt <= OPTIMISTIC_ATTEMPTS; attempt++) {
          const current = await this.users.findByIdWithGroups(id);
          if (!current) {
            throw ScimError.notFound(`User ${id} not found.`);
          }
          assertIfMatch(ifMatch, current.version);
          write = await change(current);
          if (!write) {
            return current;
          }
          if (current.active && !write.active) {
            break;
          }
          const now = new Date();
          const after: UserRecord = { ...current, ...write, version: current.version + 1, lastModified: now };
          const updated = await this.users.updateIfVersion(
            current,
            write,
            now,
            this.events.rows(userDrafts(current, after)),
            { emailsChanged: !sameEmails(emailRows(current.doc), write.emails) },
          );
          if (updated) {
            return updated;
          }
        }
        return this.mutateLocked(id, ifMatch, change, (w) => (write = w));
      },
    );
  }

  /** The same change under a row lock, in a transaction (deactivation's revocations, a contended row). */
  private mutateLocked(
    id: string,
    ifMatch: string | undefined,
    change: (current: UserRecord) => Promise<UserWrite | undefined>,
    written: (write: UserWrite | undefined) => void,
  ): Promise<UserRecord> {
    return this.users.transaction(async (tx) => {
      const current = await this.users.findByIdForUpdateWithGroups(tx, id);
      if (!current) {
        throw ScimError.notFound(`User ${id} not found.`);
      }
      assertIfMatch(ifMatch, current.version);
      const write = await change(current);
      written(write);
      if (write && current.active && !write.active) {
        await revokeUserAccess(tx, id);
      }
      const updated = write
        ? await this.users.update(tx, current, write, new Date(), {
            emailsChanged: !sameEmails(emailRows(current.doc), write.emails),
          })
        : current;
      await this.events.user(tx, current, updated);
      return updated;
    });
  }

  /** A create body as the row to insert: normalised, validated, its password hashed. */
  private async prepareCreate(body: unknown): Promise<UserWrite> {
    const input = normalizeInput(this.registry, 'User', body, 'create');
    // RFC 7643 gives `active` no default; an account nobody deactivated is active.
    const doc = { ...input.doc, active: input.doc.active ?? true };
    return this.toWrite(doc, input.password === undefined ? null : await hashPassword(input.password));
  }

  private insertOne(write: UserWrite, id: string = randomUUID()): Promise<UserRecord> {
    return this.uniquely(write, () =>
      this.users.transaction(async (tx) => {
        const record = await this.users.insert(tx, id, write, new Date());
        await this.events.user(tx, undefined, record);
        return record;
      }),
    );
  }

  private created(id: string, version: number): CreatedUser {
    return { id, version, location: this.location(id) };
  }

  /** Turns a unique violation into the 409 a SCIM client expects, naming the value. */
  private async uniquely<T>(write: UserWrite | (() => UserWrite | undefined), run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throwIfExtensionConflict(this.registry, error);
        const userName = typeof write === 'function' ? write()?.userName : write.userName;
        throw ScimError.conflict(
          `userName "${userName ?? ''}" is already taken (userName is unique, case-insensitively).`,
        );
      }
      throw error;
    }
  }

  private async toWrite(doc: Record<string, unknown>, passwordHash: string | null): Promise<UserWrite> {
    const userName = doc.userName;
    if (typeof userName !== 'string' || userName === '') {
      throw ScimError.badRequest('invalidValue', 'Attribute "userName" is required.');
    }
    return Promise.resolve({
      userName,
      externalId: typeof doc.externalId === 'string' ? doc.externalId : null,
      displayName: typeof doc.displayName === 'string' ? doc.displayName : null,
      active: doc.active !== false,
      doc,
      passwordHash,
      emails: emailRows(doc),
    });
  }

  private projection(projected: Projected): Projection {
    return compileProjection(this.registry, 'User', {
      ...projected,
      matchElement: (filter, element) => matchesElement(filter, element),
    });
  }

  private async result(record: UserRecord, projected: Projected): Promise<UserResult> {
    const [resource] = await this.render([record], this.projection(projected));
    return { resource, version: record.version, location: this.location(record.id) };
  }

  /** Full SCIM representations of a page of users: groups and manager names in one query each. */
  private async render(records: UserRecord[], projection: Projection): Promise<Record<string, unknown>[]> {
    const wantsGroups = projection.wants('groups');
    // Read with the row (GET by id, writes) or, for a page, in one statement here.
    const known = records.every((r) => r.memberships !== undefined);
    const memberships = !wantsGroups
      ? []
      : known
        ? records.flatMap((r) => r.memberships ?? [])
        : await this.users.memberships(records.map((r) => r.id));
    const managerIds = records
      .map((r) => managerOf(r.doc))
      .filter((id): id is string => typeof id === 'string' && isResourceId(id));
    const managerNames =
      managerIds.length && projection.wants(`${ENTERPRISE_USER_SCHEMA}:manager`)
        ? await this.users.displayNames([...new Set(managerIds)])
        : new Map<string, string>();
    // Grouped by user in one pass (rows arrive in the groups' display-name order, which each
    // user's list keeps): linear in the memberships, not memberships × users.
    const groupsOf = new Map<string, Record<string, unknown>[]>();
    for (const m of memberships) {
      const group = {
        value: m.groupId,
        $ref: `${this.baseUrl}/Groups/${m.groupId}`,
        display: m.displayName,
        type: m.direct ? 'direct' : 'indirect',
      };
      const list = groupsOf.get(m.userId);
      if (list) {
        list.push(group);
      } else {
        groupsOf.set(m.userId, [group]);
      }
    }
    return records.map((record) =>
      projection.apply(this.represent(record, groupsOf.get(record.id) ?? [], managerNames)),
    );
  }

  private represent(
    record: UserRecord,
    groups: Record<string, unknown>[],
    managerNames: Map<string, string>,
  ): Record<string, unknown> {
    const { externalId, ...doc } = record.doc;
    const schemas = [
      USER_SCHEMA,
      ...this.registry
        .extensionSchemas('User')
        .map((s) => s.id)
        .filter((id) => isPlainObject(doc[id])),
    ];
    const enterprise = doc[ENTERPRISE_USER_SCHEMA];
    if (
      isPlainObject(enterprise) &&
      isPlainObject(enterprise.manager) &&
      typeof enterprise.manager.value === 'string'
    ) {
      const managerId = enterprise.manager.value;
      const name = managerNames.get(managerId);
      doc[ENTERPRISE_USER_SCHEMA] = {
        ...enterprise,
        manager: {
          value: managerId,
          ...(isResourceId(managerId) ? { $ref: this.location(managerId) } : {}),
          ...(name ? { displayName: name } : {}),
        },
      };
    }
    return {
      schemas,
      id: record.id,
      ...(externalId !== undefined ? { externalId } : {}),
      ...doc,
      ...(groups.length ? { groups } : {}),
      meta: {
        resourceType: 'User',
        created: record.created.toISOString(),
        lastModified: record.lastModified.toISOString(),
        location: this.location(record.id),
        version: `W/"${record.version}"`,
      },
    };
  }
}

/** The user_emails rows a document's `emails` are stored as (filters on emails use them). */
function emailRows(doc: Record<string, unknown>): UserEmailRow[] {
  const emails = Array.isArray(doc.emails) ? doc.emails.filter(isPlainObject) : [];
  return emails.map((e) => ({
    value: typeof e.value === 'string' ? e.value : null,
    type: typeof e.type === 'string' ? e.type : null,
    primary: e.primary === true,
  }));
}

function sameEmails(a: UserEmailRow[], b: UserEmailRow[]): boolean {
  return (
    a.length === b.length &&
    a.every((e, i) => e.value === b[i].value && e.type === b[i].type && e.primary === b[i].primary)
  );
}

function managerOf(doc: Record<string, unknown>): unknown {
  const enterprise = doc[ENTERPRISE_USER_SCHEMA];
  return isPlainObject(enterprise) && isPlainObject(enterprise.manager) ? enterprise.manager.value : undefined;
}
