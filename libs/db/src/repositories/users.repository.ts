import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';
import { StoreTransaction, storeTransaction } from '../store/transaction';
import { EventRow, eventsInsertSql, eventsJson } from './events.repository';
import { countRows, PageQuery, PageRows, PageTable, readPage } from '../store/pages';

/** What the users table holds for one user; `doc` is the canonical SCIM document. */
export interface UserRecord {
  id: string;
  userName: string;
  externalId: string | null;
  displayName: string | null;
  active: boolean;
  doc: Record<string, unknown>;
  passwordHash: string | null;
  version: number;
  created: Date;
  lastModified: Date;
  /** The user's groups, when read with the row (findByIdWithGroups): no second statement for them. */
  memberships?: GroupMembershipRow[];
}

export interface UserEmailRow {
  value: string | null;
  type: string | null;
  primary: boolean;
}

export interface UserWrite {
  userName: string;
  externalId: string | null;
  displayName: string | null;
  active: boolean;
  doc: Record<string, unknown>;
  passwordHash: string | null;
  emails: UserEmailRow[];
}

export interface GroupMembershipRow {
  userId: string;
  groupId: string;
  displayName: string;
  direct: boolean;
}

type Db = PrismaService['client'] | Prisma.TransactionClient;

/** Rows per multi-row INSERT: large enough to amortise round trips, small enough to keep one statement's JSON modest. */
const INSERT_CHUNK = 1000;

const SELECT_USER = `r.id::text AS id, r.user_name::text AS "userName", r.external_id AS "externalId",
  r.display_name AS "displayName", r.active, r.doc, r.password_hash AS "passwordHash", r.version,
  r.created, r.last_modified AS "lastModified"`;

/** The only code that reads or writes users; everything SCIM-specific stays in the service. */
@Injectable()
export class UsersRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** One transaction for a write that needs one (row locks, member deltas, revocations), retried on a conflict. */
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return storeTransaction(this.prisma, work);
  }

  async findById(id: string, db: Db = this.prisma.client): Promise<UserRecord | undefined> {
    const rows = await db.$queryRawUnsafe<UserRecord[]>(`SELECT ${SELECT_USER} FROM users r WHERE r.id = $1::uuid`, id);
    return rows[0];
  }

  /** The user and its groups (as `memberships` returns them) in one statement. */
  async findByIdWithGroups(id: string): Promise<UserRecord | undefined> {
    const rows = await this.prisma.reads.query<UserRecord>(
      `SELECT ${SELECT_USER}, ${GROUPS_OF_ROW} FROM users r WHERE r.id = $1::uuid`,
      [id],
    );
    return rows[0];
  }

  /** findByIdForUpdate with the user's groups, in one statement: a write's response needs them. */
  async findByIdForUpdateWithGroups(db: Prisma.TransactionClient, id: string): Promise<UserRecord | undefined> {
    const rows = await db.$queryRawUnsafe<UserRecord[]>(
      `SELECT ${SELECT_USER}, ${GROUPS_OF_ROW} FROM users r WHERE r.id = $1::uuid FOR NO KEY UPDATE`,
      id,
    );
    return rows[0];
  }

  /**
   * Reads and locks the row until the transaction ends, so concurrent writers queue up. NO KEY
   * UPDATE (the id never changes) leaves the key-share locks of foreign-key checks free: adding
   * the user to a group does not wait for a change of the user.
   */
  async findByIdForUpdate(db: Prisma.TransactionClient, id: string): Promise<UserRecord | undefined> {
    const rows = await db.$queryRawUnsafe<UserRecord[]>(
      `SELECT ${SELECT_USER} FROM users r WHERE r.id = $1::uuid FOR NO KEY UPDATE`,
      id,
    );
    return rows[0];
  }

  async findByUserName(userName: string): Promise<UserRecord | undefined> {
    const rows = await this.prisma.client.$queryRawUnsafe<UserRecord[]>(
      `SELECT ${SELECT_USER} FROM users r WHERE lower(r.user_name::text) = lower($1)`,
      userName,
    );
    return rows[0];
  }

  async insert(db: Db, id: string, write: UserWrite, now: Date): Promise<UserRecord> {
    await db.user.create({
      data: {
        id,
        userName: write.userName,
        externalId: write.externalId,
        displayName: write.displayName,
        active: write.active,
        doc: write.doc as Prisma.InputJsonObject,
        passwordHash: write.passwordHash,
        version: 1,
        created: now,
        lastModified: now,
        emails: { create: write.emails.map((e, position) => ({ ...e, position })) },
      },
    });
    return { id, ...omitEmails(write), version: 1, created: now, lastModified: now };
  }

  /**
   * Inserts new users and their emails with multi-row INSERTs (one pair per chunk of rows), in the
   * caller's transaction. The rows travel as one JSON parameter each, so a statement's size does
   * not depend on PostgreSQL's limit on the number of bind parameters.
   */
  async insertMany(
    db: Prisma.TransactionClient,
    users: { id: string; write: UserWrite }[],
    now: Date,
  ): Promise<UserRecord[]> {
    for (let start = 0; start < users.length; start += INSERT_CHUNK) {
      const chunk = users.slice(start, start + INSERT_CHUNK);
      await db.$executeRawUnsafe(
        `INSERT INTO users (id, user_name, external_id, display_name, active, doc, password_hash, version, created, last_modified)
         SELECT x.id, x.user_name, x.external_id, x.display_name, x.active, x.doc, x.password_hash, 1, $2, $2
         FROM jsonb_to_recordset($1::jsonb)
           AS x(id uuid, user_name citext, external_id text, display_name text, active boolean, doc jsonb, password_hash text)`,
        JSON.stringify(
          chunk.map(({ id, write }) => ({
            id,
            user_name: write.userName,
            external_id: write.externalId,
            display_name: write.displayName,
            active: write.active,
            doc: write.doc,
            password_hash: write.passwordHash,
          })),
        ),
        now,
      );
      const emails = chunk.flatMap(({ id, write }) =>
        write.emails.map((e, position) => ({ user_id: id, position, ...e })),
      );
      if (emails.length) {
        await db.$executeRawUnsafe(
          `INSERT INTO user_emails (user_id, position, value, type, "primary")
           SELECT x.user_id, x.position, x.value, x.type, x."primary"
           FROM jsonb_to_recordset($1::jsonb) AS x(user_id uuid, position int, value text, type text, "primary" boolean)`,
          JSON.stringify(emails),
        );
      }
    }
    return users.map(({ id, write }) => ({ id, ...omitEmails(write), version: 1, created: now, lastModified: now }));
  }

  /**
   * Writes a new state of an existing user, bumping its version; the caller holds the row lock.
   * The email rows are rewritten only when `emailsChanged` (the caller compared them): most
   * changes (nickName, active, a manager) leave them as they are, and two statements fewer.
   */
  async update(
    db: Prisma.TransactionClient,
    current: UserRecord,
    write: UserWrite,
    now: Date,
    { emailsChanged = true }: { emailsChanged?: boolean } = {},
  ): Promise<UserRecord> {
    const version = current.version + 1;
    await db.user.update({
      where: { id: current.id },
      data: {
        userName: write.userName,
        externalId: write.externalId,
        displayName: write.displayName,
        active: write.active,
        doc: write.doc as Prisma.InputJsonObject,
        passwordHash: write.passwordHash,
        version,
        lastModified: now,
      },
    });
    if (!emailsChanged) {
      return { ...current, ...omitEmails(write), version, lastModified: now };
    }
    await db.userEmail.deleteMany({ where: { userId: current.id } });
    if (write.emails.length) {
      await db.userEmail.createMany({
        data: write.emails.map((e, position) => ({ ...e, position, userId: current.id })),
      });
    }
    return { ...current, ...omitEmails(write), version, lastModified: now };
  }

  /**
   * Writes a new state of a user in ONE statement, atomic by itself, and only if the row still has
   * the version it was read with (optimistic concurrency, issue 12 item 5): the UPDATE, the email
   * rows when `emailsChanged` (upserted by position, the positions past the new list deleted: no
   * statement touches a row another one does), and the change events, as CTEs of the UPDATE's
   * RETURNING, so that they exist exactly when the update does. No BEGIN, no COMMIT, no lock held
   * across round trips. Undefined when the row has another version or is gone: the caller re-reads.
   */
  async updateIfVersion(
    current: UserRecord,
    write: UserWrite,
    now: Date,
    events: EventRow[],
    { emailsChanged }: { emailsChanged: boolean },
  ): Promise<UserRecord | undefined> {
    const params: unknown[] = [
      current.id,
      current.version,
      write.userName,
      write.externalId,
      write.displayName,
      write.active,
      JSON.stringify(write.doc),
      write.passwordHash,
      now.toISOString(),
    ];
    const ctes = [
      `u AS (UPDATE users SET user_name = $3, external_id = $4, display_name = $5, active = $6, doc = $7::jsonb,
         password_hash = $8, version = version + 1, last_modified = $9::timestamptz
       WHERE id = $1::uuid AND version = $2 RETURNING id, version)`,
    ];
    if (emailsChanged) {
      params.push(write.emails.length, JSON.stringify(write.emails.map((e, position) => ({ position, ...e }))));
      ctes.push(
        `gone AS (DELETE FROM user_emails d USING u WHERE d.user_id = u.id AND d.position >= $10::int)`,
        `put AS (INSERT INTO user_emails (user_id, position, value, type, "primary")
         SELECT u.id, x.position, x.value, x.type, x."primary"
         FROM u, jsonb_to_recordset($11::jsonb) AS x(position int, value text, type text, "primary" boolean)
         ON CONFLICT (user_id, position) DO UPDATE SET value = excluded.value, type = excluded.type, "primary" = excluded."primary")`,
      );
    }
    if (events.length) {
      params.push(eventsJson(events));
      ctes.push(`ev AS (${eventsInsertSql(`$${params.length}`, 'u')})`);
    }
    const rows = await this.prisma.writes.query<{ version: number }>(
      `WITH ${ctes.join(',\n')} SELECT version FROM u`,
      params,
    );
    if (!rows.length) {
      return undefined;
    }
    return { ...current, ...omitEmails(write), version: Number(rows[0].version), lastModified: now };
  }

  /**
   * Replaces a password hash made with older parameters by one made with the current ones, only
   * if it is still the hash that was verified (a PUT that set a new password meanwhile wins). The
   * password is never part of the representation, so version and lastModified stay as they are.
   */
  async replacePasswordHash(id: string, verifiedHash: string, newHash: string): Promise<boolean> {
    const changed = await this.prisma.client.$executeRawUnsafe(
      `UPDATE users SET password_hash = $3 WHERE id = $1::uuid AND password_hash = $2`,
      id,
      verifiedHash,
      newHash,
    );
    return changed === 1;
  }

  async delete(db: Db, id: string): Promise<boolean> {
    const count = await db.$executeRawUnsafe(`DELETE FROM users WHERE id = $1::uuid`, id);
    return count > 0;
  }

  /**
   * One page of users in one statement (see store/pages.ts), with each user's groups when
   * `withGroups` (a page of at most INLINE_GROUPS_MAX users: larger pages read them per chunk).
   */
  async page(query: PageQuery & { withGroups?: boolean }): Promise<PageRows<UserRecord & { sortKey?: unknown }>> {
    return readPage(this.prisma.reads, query.withGroups ? USERS_WITH_GROUPS : USERS, query);
  }

  async count(where: string, params: unknown[]): Promise<number> {
    return countRows(this.prisma.reads, USERS, where, params);
  }

  /** Ids of the given list that exist, for validating references such as group members. */
  async existingIds(ids: string[], db: Db = this.prisma.client): Promise<Set<string>> {
    if (!ids.length) {
      return new Set();
    }
    const rows = await db.$queryRawUnsafe<{ id: string }[]>(
      `SELECT id::text AS id FROM users WHERE id = ANY($1::uuid[])`,
      ids,
    );
    return new Set(rows.map((r) => r.id));
  }

  /** Display names of users, for `manager.displayName` and member `display`. */
  async displayNames(ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) {
      return new Map();
    }
    const rows = await this.prisma.client.$queryRawUnsafe<{ id: string; name: string }[]>(
      `SELECT id::text AS id, coalesce(display_name, user_name::text) AS name FROM users WHERE id = ANY($1::uuid[])`,
      ids,
    );
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /**
   * Direct and transitive (nested-group) memberships of a page of users, in one query: the
   * `groups` attribute of RFC 7643 §4.1.2. The graph is walked upwards once from the distinct
   * groups the users are direct members of (not once per user), and only then joined back to the
   * users, so the statement's size and its estimate follow its result. Rows come in display-name
   * order of the groups (ranked once per group, not sorted per membership); `direct` when the user
   * is a member of the group itself.
   */
  async memberships(userIds: string[]): Promise<GroupMembershipRow[]> {
    if (!userIds.length) {
      return [];
    }
    return this.prisma.reads.query<GroupMembershipRow>(MEMBERSHIPS_SQL, [userIds]);
  }
}

export const MEMBERSHIPS_SQL = `WITH RECURSIVE
  direct AS MATERIALIZED (
    SELECT gm.user_id, gm.group_id FROM group_members gm WHERE gm.user_id = ANY($1::uuid[])
  ),
  up(start, gid) AS (
    SELECT s.group_id, s.group_id FROM (SELECT DISTINCT group_id FROM direct) s
    UNION
    SELECT up.start, gm.group_id FROM up JOIN group_members gm ON gm.child_group_id = up.gid
  ),
  named AS (
    SELECT g.id, g.display_name::text AS name, row_number() OVER (ORDER BY g.display_name, g.id) AS rank
    FROM groups g WHERE g.id IN (SELECT gid FROM up)
  ),
  m AS (
    SELECT d.user_id, up.gid, bool_or(up.gid = d.group_id) AS direct
    FROM direct d JOIN up ON up.start = d.group_id
    GROUP BY d.user_id, up.gid
  )
SELECT m.user_id::text AS "userId", m.gid::text AS "groupId", n.name AS "displayName", m.direct, n.rank
FROM m JOIN named n ON n.id = m.gid
ORDER BY n.rank`;

/** Pages of at most this many users carry their groups in the page statement (a larger page reads them per chunk). */
export const INLINE_GROUPS_MAX = 200;

/** MEMBERSHIPS_SQL for the row `r` of the statement, as a JSON array column `memberships` in the same order. */
const GROUPS_OF_ROW = `(SELECT coalesce(jsonb_agg(jsonb_build_object('userId', g."userId", 'groupId', g."groupId",
    'displayName', g."displayName", 'direct', g.direct) ORDER BY g.rank), '[]'::jsonb)
  FROM (${MEMBERSHIPS_SQL.replace('$1::uuid[]', 'ARRAY[r.id]')}) g) AS memberships`;

function omitEmails(write: UserWrite): Omit<UserWrite, 'emails'> {
  const { emails: _emails, ...rest } = write;
  return rest;
}

const USERS: PageTable = { table: 'users', resourceType: 'User', select: SELECT_USER };
const USERS_WITH_GROUPS: PageTable = { ...USERS, select: `${SELECT_USER}, ${GROUPS_OF_ROW}` };
