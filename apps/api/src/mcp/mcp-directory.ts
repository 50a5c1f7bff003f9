import { Injectable } from '@nestjs/common';
import type { MemberRow } from '@roster/db';
import {
  GROUP_SCHEMA,
  isPlainObject,
  parseAttributeList,
  parseFilter,
  PATCH_OP_SCHEMA,
  PathExpression,
  ScimError,
  USER_SCHEMA,
} from '@roster/scim';
import { isResourceId } from '../common/etag';
import { ListRequest } from '../common/list-query';
import { GroupsService } from '../groups/groups.service';
import { ListResult, UsersService } from '../users/users.service';
import { bound, decodeCursor, encodeCursor, jsonSize, MAX_PAGE, RESULT_BUDGET } from './bounds';
import { McpCaller } from './mcp-caller';

/** Attributes free-text user search looks in (`co`, case-insensitive). */
const USER_TEXT_ATTRIBUTES = [
  'userName',
  'displayName',
  'name.givenName',
  'name.familyName',
  'name.formatted',
  'emails.value',
];

export interface SearchInput {
  query?: string;
  filter?: string;
  attributes?: string[];
  cursor?: string;
  limit: number;
}

export interface PatchOperationInput {
  op: 'add' | 'replace' | 'remove';
  path?: string;
  value?: unknown;
}

export interface NewUserInput {
  userName: string;
  givenName?: string;
  familyName?: string;
  displayName?: string;
  email?: string;
  title?: string;
  externalId?: string;
  active?: boolean;
  attributes?: Record<string, unknown>;
}

type Doc = Record<string, unknown>;

/**
 * What the MCP tools do, over the same services as the REST API: UsersService and
 * GroupsService validate, version, check If-Match and throw the same ScimErrors. This class
 * only shapes requests (filters, cursors, page sizes) and bounds answers for a model.
 */
@Injectable()
export class McpDirectory {
  constructor(
    private readonly users: UsersService,
    private readonly groups: GroupsService,
  ) {}

  async whoami(caller: McpCaller): Promise<Doc> {
    const { principal } = caller;
    let user: Doc | null = null;
    if (principal.userId) {
      try {
        user = summarizeUser(
          (await this.users.get(principal.userId, { excludedAttributes: paths('groups') })).resource,
        );
      } catch (error) {
        // A token may outlive the user it names; whoami still answers.
        if (!(error instanceof ScimError && error.status === 404)) {
          throw error;
        }
      }
    }
    return {
      kind: principal.kind,
      subject: principal.subject,
      ...(principal.clientId ? { clientId: principal.clientId } : {}),
      scopes: [...principal.scopes].sort(),
      user,
    };
  }

  async searchUsers(input: SearchInput): Promise<Doc> {
    // JSON string syntax is SCIM's compValue syntax, so JSON.stringify escapes quotes and backslashes.
    const query = input.query?.trim();
    const text = query ? USER_TEXT_ATTRIBUTES.map((a) => `${a} co ${JSON.stringify(query)}`).join(' or ') : undefined;
    const projected = input.attributes?.length ? { attributes: paths(input.attributes.join(',')) } : undefined;
    const page = await this.search('users', text, input, 'userName', (request) =>
      this.users.list({ ...request, ...(projected ?? { excludedAttributes: paths('groups') }) }),
    );
    const users = page.resources.map((r) => (projected ? r : summarizeUser(r)));
    return this.listed(page, 'users', users);
  }

  async searchGroups(input: SearchInput): Promise<Doc> {
    const query = input.query?.trim();
    const text = query ? `displayName co ${JSON.stringify(query)}` : undefined;
    const page = await this.search('groups', text, input, 'displayName', (request) =>
      this.groups.list({ ...request, excludedAttributes: paths('members') }),
    );
    return this.listed(page, 'groups', page.resources.map(summarizeGroup));
  }

  async getUser(input: { id?: string; userName?: string; attributes?: string[] }): Promise<Doc> {
    const projected = input.attributes?.length
      ? { attributes: paths(input.attributes.join(',')) }
      : { excludedAttributes: paths('groups') };
    const id = await this.userId(input);
    const result = await this.users.get(id, projected);
    const notes: string[] = [];
    return withNotes({ user: bound(result.resource, 'user', notes), etag: etag(result.version) }, notes);
  }

  async listUserGroups(input: { userId: string; cursor?: string; limit: number }): Promise<Doc> {
    const result = await this.users.get(input.userId, { attributes: paths('groups') });
    const all = Array.isArray(result.resource.groups) ? result.resource.groups.filter(isPlainObject) : [];
    const offset = input.cursor ? offsetOf(decodeCursor('user-groups', input.cursor), input.userId) : 0;
    const groups = all.slice(offset, offset + input.limit).map((g) => ({
      id: g.value,
      displayName: g.display,
      membership: g.type,
    }));
    const next = offset + groups.length;
    return {
      userId: result.resource.id,
      totalGroups: all.length,
      groups,
      ...(next < all.length ? { nextCursor: encodeCursor('user-groups', { of: input.userId, offset: next }) } : {}),
    };
  }

  async getGroup(input: { id?: string; displayName?: string; memberLimit: number }): Promise<Doc> {
    const id = await this.groupId(input);
    const result = await this.groups.get(id, { excludedAttributes: paths('members') });
    const members = await this.memberPage(id, undefined, input.memberLimit);
    return {
      group: summarizeGroup(result.resource),
      etag: etag(result.version),
      memberCount: members.total,
      members: members.members,
      ...(members.next ? { nextMemberCursor: members.next } : {}),
    };
  }

  async listGroupMembers(input: { groupId: string; cursor?: string; limit: number }): Promise<Doc> {
    // Through the service first: an unknown group answers the same 404 as the REST API.
    await this.groups.get(input.groupId, { attributes: paths('id') });
    let after: string | undefined;
    if (input.cursor) {
      const state = decodeCursor('members', input.cursor);
      if (state.of !== input.groupId.toLowerCase() || typeof state.after !== 'string' || !isResourceId(state.after)) {
        throw ScimError.badRequest('invalidCursor', 'This cursor belongs to another group; omit it to start over.');
      }
      after = state.after;
    }
    const page = await this.memberPage(input.groupId, after, input.limit);
    return {
      groupId: input.groupId.toLowerCase(),
      memberCount: page.total,
      members: page.members,
      ...(page.next ? { nextCursor: page.next } : {}),
    };
  }

  async createUser(input: NewUserInput): Promise<Doc> {
    const name = {
      ...(input.givenName ? { givenName: input.givenName } : {}),
      ...(input.familyName ? { familyName: input.familyName } : {}),
    };
    const body: Doc = {
      schemas: [USER_SCHEMA, ...Object.keys(input.attributes ?? {}).filter((k) => k.startsWith('urn:'))],
      ...(input.attributes ?? {}),
      userName: input.userName,
      ...(Object.keys(name).length ? { name } : {}),
      ...(input.displayName ? { displayName: input.displayName } : {}),
      ...(input.email ? { emails: [{ value: input.email, type: 'work', primary: true }] } : {}),
      ...(input.title ? { title: input.title } : {}),
      ...(input.externalId ? { externalId: input.externalId } : {}),
      ...(input.active !== undefined ? { active: input.active } : {}),
    };
    const result = await this.users.create(body, { excludedAttributes: paths('groups') });
    return { user: result.resource, etag: etag(result.version) };
  }

  async patchUser(id: string, operations: PatchOperationInput[], ifMatch: string | undefined): Promise<Doc> {
    const body = { schemas: [PATCH_OP_SCHEMA], Operations: operations };
    const result = await this.users.patch(id, body, ifMatch, { excludedAttributes: paths('groups') });
    const notes: string[] = [];
    return withNotes({ user: bound(result.resource, 'user', notes), etag: etag(result.version) }, notes);
  }

  async setActive(id: string, active: boolean, ifMatch: string | undefined): Promise<Doc> {
    const result = await this.patchUser(id, [{ op: 'replace', path: 'active', value: active }], ifMatch);
    const user = isPlainObject(result.user) ? result.user : {};
    return { user: summarizeUser(user), etag: result.etag };
  }

  async createGroup(input: { displayName: string; externalId?: string; memberIds?: string[] }): Promise<Doc> {
    const body = {
      schemas: [GROUP_SCHEMA],
      displayName: input.displayName,
      ...(input.externalId ? { externalId: input.externalId } : {}),
      ...(input.memberIds?.length ? { members: input.memberIds.map((value) => ({ value })) } : {}),
    };
    const result = await this.groups.create(body, { excludedAttributes: paths('members') });
    const id = String(result.resource.id);
    return {
      group: summarizeGroup(result.resource),
      etag: etag(result.version),
      memberCount: await this.groups.memberCount(id),
    };
  }

  async changeMembers(
    groupId: string,
    memberIds: string[],
    op: 'add' | 'remove',
    ifMatch: string | undefined,
  ): Promise<Doc> {
    const body = {
      schemas: [PATCH_OP_SCHEMA],
      Operations: [{ op, path: 'members', value: memberIds.map((value) => ({ value })) }],
    };
    const result = await this.groups.patch(groupId, body, ifMatch, { excludedAttributes: paths('members') });
    return {
      group: summarizeGroup(result.resource),
      etag: etag(result.version),
      memberCount: await this.groups.memberCount(String(result.resource.id)),
    };
  }

  /**
   * One page of a list through the service, by RFC 9865 cursor. A page whose JSON would not fit
   * a tool result is fetched again, smaller, from the same cursor, so that `nextCursor` always
   * continues right after the last item returned.
   */
  private async search(
    kind: 'users' | 'groups',
    text: string | undefined,
    input: SearchInput,
    sortBy: string,
    list: (request: ListRequest) => Promise<ListResult>,
  ): Promise<{ total: number; resources: Doc[]; next?: string; notes: string[] }> {
    let filterText = [text, input.filter?.trim()]
      .filter((part): part is string => Boolean(part))
      .map((part) => `(${part})`)
      .join(' and ');
    let scimCursor = '';
    if (input.cursor) {
      const state = decodeCursor(kind, input.cursor);
      if (typeof state.scim !== 'string' || (state.filter !== null && typeof state.filter !== 'string')) {
        throw ScimError.badRequest('invalidCursor', 'The cursor is damaged; omit it to start over.');
      }
      // A cursor continues its own search; arguments sent with it must describe the same one.
      filterText ||= state.filter ?? '';
      scimCursor = state.scim;
    }
    const filter = filterText ? parseFilter(filterText) : undefined;
    let count = Math.min(input.limit, MAX_PAGE);
    for (;;) {
      const page = await list({
        ...(filter ? { filter, filterText } : {}),
        sortBy,
        descending: false,
        startIndex: 1,
        count,
        cursor: scimCursor,
      });
      const notes: string[] = [];
      const resources = page.Resources.map((r, i) => bound(r, `${kind}[${i}]`, notes));
      if (count === 1 || jsonSize(resources) <= RESULT_BUDGET) {
        return {
          total: page.totalResults,
          resources,
          notes,
          ...(page.nextCursor
            ? { next: encodeCursor(kind, { filter: filterText || null, scim: page.nextCursor }) }
            : {}),
        };
      }
      count = Math.max(1, Math.floor(count / 2));
    }
  }

  private listed(page: { total: number; next?: string; notes: string[] }, key: 'users' | 'groups', items: Doc[]): Doc {
    return withNotes(
      {
        totalResults: page.total,
        [key]: items,
        ...(page.next ? { nextCursor: page.next } : {}),
      },
      page.notes,
    );
  }

  private async memberPage(
    groupId: string,
    after: string | undefined,
    limit: number,
  ): Promise<{ total: number; members: Doc[]; next?: string }> {
    // GroupsService streams all members or none; a page of them is read the way its stream reads them.
    const [rows, total] = await Promise.all([
      this.groups.memberPage(groupId, after, limit + 1),
      this.groups.memberCount(groupId),
    ]);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      total,
      members: page.map((row) => this.member(row)),
      ...(rows.length > limit && last
        ? { next: encodeCursor('members', { of: groupId.toLowerCase(), after: last.memberId }) }
        : {}),
    };
  }

  private member(row: MemberRow): Doc {
    return {
      id: row.memberId,
      type: row.type,
      ...(row.display !== null ? { display: row.display } : {}),
      $ref: row.type === 'User' ? this.users.location(row.memberId) : this.groups.location(row.memberId),
    };
  }

  private async userId(input: { id?: string; userName?: string }): Promise<string> {
    return (
      input.id ??
      this.idByName(
        this.users,
        'userName',
        input.userName ?? '',
        (name) => `No user has userName "${name}"; search_users finds users by part of a name.`,
      )
    );
  }

  private async groupId(input: { id?: string; displayName?: string }): Promise<string> {
    return (
      input.id ??
      this.idByName(
        this.groups,
        'displayName',
        input.displayName ?? '',
        (name) => `No group is named "${name}"; search_groups finds groups by part of a name.`,
      )
    );
  }

  /** The id of the one resource whose unique name attribute equals `name` (case-insensitively). */
  private async idByName(
    service: { list(request: ListRequest): Promise<ListResult> },
    attribute: 'userName' | 'displayName',
    name: string,
    notFound: (name: string) => string,
  ): Promise<string> {
    const filterText = `${attribute} eq ${JSON.stringify(name)}`;
    const page = await service.list({
      filter: parseFilter(filterText),
      filterText,
      descending: false,
      startIndex: 1,
      count: 1,
      attributes: paths('id'),
    });
    const id = page.Resources[0]?.id;
    if (typeof id !== 'string') {
      throw ScimError.notFound(notFound(name));
    }
    return id;
  }
}

function paths(list: string): PathExpression[] {
  try {
    return parseAttributeList(list);
  } catch (error) {
    if (error instanceof ScimError) {
      throw ScimError.badRequest('invalidValue', `attributes: ${error.detail}`);
    }
    throw error;
  }
}

/** SCIM versions are weak ETags; tools hand them back as `if_match`. */
function etag(version: number): string {
  return `W/"${version}"`;
}

function withNotes(result: Doc, notes: string[]): Doc {
  return notes.length ? { ...result, truncated: notes.slice(0, 20) } : result;
}

function offsetOf(state: Doc, userId: string): number {
  if (state.of !== userId || typeof state.offset !== 'number' || !Number.isInteger(state.offset) || state.offset < 0) {
    throw ScimError.badRequest('invalidCursor', 'This cursor belongs to another user; omit it to start over.');
  }
  return state.offset;
}

/** The attributes a person scanning a list needs; get_user has the rest. */
function summarizeUser(user: Doc): Doc {
  const name = isPlainObject(user.name) ? user.name : {};
  const emails = Array.isArray(user.emails) ? user.emails.filter(isPlainObject) : [];
  const email = emails.find((e) => e.primary === true) ?? emails[0];
  const meta = isPlainObject(user.meta) ? user.meta : {};
  const formatted =
    typeof name.formatted === 'string'
      ? name.formatted
      : [name.givenName, name.familyName].filter((part) => typeof part === 'string').join(' ');
  return {
    id: user.id,
    userName: user.userName,
    ...(typeof user.displayName === 'string' ? { displayName: user.displayName } : {}),
    ...(formatted ? { name: formatted } : {}),
    ...(email && typeof email.value === 'string' ? { email: email.value } : {}),
    ...(typeof user.title === 'string' ? { title: user.title } : {}),
    active: user.active !== false,
    ...(typeof meta.version === 'string' ? { etag: meta.version } : {}),
  };
}

function summarizeGroup(group: Doc): Doc {
  const meta = isPlainObject(group.meta) ? group.meta : {};
  return {
    id: group.id,
    displayName: group.displayName,
    ...(typeof group.externalId === 'string' ? { externalId: group.externalId } : {}),
    ...(typeof meta.lastModified === 'string' ? { lastModified: meta.lastModified } : {}),
    ...(typeof meta.version === 'string' ? { etag: meta.version } : {}),
  };
}
