import { Injectable } from '@nestjs/common';
import type { Filter } from '@roster/scim';
import { compileMemberCondition, SqlCompileContext, SqlParams } from '../filter-sql';
import { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';
import { EventRow, eventsInsertSql, eventsJson } from './events.repository';
import { StoreTransaction, storeTransaction } from '../store/transaction';
import { countRows, PageQuery, PageRows, PageTable, readPage } from '../store/pages';

export interface GroupRecord {
  id: string;
  displayName: string;
  externalId: string | null;
  doc: Record<string, unknown>;
  version: number;
  created: Date;
  lastModified: Date;
  hasLogo: boolean;
}

export interface GroupWrite {
  displayName: string;
  externalId: string | null;
  doc: Record<string, unknown>;
}

export type MemberType = 'User' | 'Group';

export interface MemberRow {
  groupId: string;
  memberId: string;
  type: MemberType;
  display: string | null;
}

export interface MemberKey {
  id: string;
  type: MemberType;
  /** What the client called the member, if it said; echoed back on reads. */
  display?: string;
}

type Db = PrismaService['client'] | Prisma.TransactionClient;

/** What one member statement changed: how many rows, and the first MEMBER_DELTA_IDS member ids (for events). */
export interface MemberDelta {
  count: number;
  ids: string[];
}

export const MEMBER_DELTA_IDS = 1000;
const NO_DELTA: MemberDelta = { count: 0, ids: [] };

/** A member INSERT or DELETE (with `RETURNING member_id`) as one statement reporting its delta. */
async function delta(db: Prisma.TransactionClient, statement: string, ...params: unknown[]): Promise<MemberDelta> {
  const rows = await db.$queryRawUnsafe<{ count: number; ids: string[] | null }[]>(
    `WITH changed AS (${statement} RETURNING member_id)
     SELECT count(*)::int AS count, (array_agg(member_id::text ORDER BY member_id))[1:${MEMBER_DELTA_IDS}] AS ids FROM changed`,
    ...params,
  );
  return { count: Number(rows[0]?.count ?? 0), ids: rows[0]?.ids ?? [] };
}

const SELECT_GROUP = `r.id::text AS id, r.display_name::text AS "displayName", r.external_id AS "externalId", r.doc,
  r.version, r.created, r.last_modified AS "lastModified",
  EXISTS (SELECT 1 FROM group_logos gl WHERE gl.group_id = r.id) AS "hasLogo"`;

const SELECT_MEMBER = `m.group_id::text AS "groupId", m.member_id::text AS "memberId", m.member_type AS type,
  coalesce(m.display, u.display_name, u.user_name::text, g.display_name::text) AS display
  FROM group_members m LEFT JOIN users u ON u.id = m.user_id LEFT JOIN groups g ON g.id = m.child_group_id`;

const GROUPS: PageTable = { table: 'groups', resourceType: 'Group', select: SELECT_GROUP };

/**
 * Groups and their membership rows. Membership only ever changes by deltas (insert what is
 * missing, delete what is named), never by rewriting a member list, so its cost follows the size
 * of the change, not the size of the group.
 */
@Injectable()
export class GroupsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** One transaction for a write that needs one (row locks, member deltas, revocations), retried on a conflict. */
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return storeTransaction(this.prisma, work);
  }

  async findById(id: string, db: Db = this.prisma.client): Promise<GroupRecord | undefined> {
    const rows = await db.$queryRawUnsafe<GroupRecord[]>(
      `SELECT ${SELECT_GROUP} FROM groups r WHERE r.id = $1::uuid`,
      id,
    );
    return rows[0];
  }

  /**
   * Reads and locks the group row until the transaction ends. NO KEY UPDATE, not UPDATE: the
   * foreign-key check of a membership row takes a key-share lock on the child group, and UPDATE
   * would make "PATCH P add C" wait for a concurrent "PATCH C add D" while that one waits for the
   * graph lock P holds: a deadlock (40P01) in 6 to 9 of 20 rounds (issue 10, finding 3). With
   * NO KEY UPDATE the graph lock is the only lock two nestings can wait for each other on.
   */
  async findByIdForUpdate(db: Prisma.TransactionClient, id: string): Promise<GroupRecord | undefined> {
    const rows = await db.$queryRawUnsafe<GroupRecord[]>(
      `SELECT ${SELECT_GROUP} FROM groups r WHERE r.id = $1::uuid FOR NO KEY UPDATE OF r`,
      id,
    );
    return rows[0];
  }

  async insert(db: Db, id: string, write: GroupWrite, now: Date): Promise<GroupRecord> {
    await db.$executeRawUnsafe(
      `INSERT INTO groups (id, display_name, external_id, doc, version, created, last_modified)
       VALUES ($1::uuid, $2, $3, $4::jsonb, 1, $5, $5)`,
      id,
      write.displayName,
      write.externalId,
      JSON.stringify(write.doc),
      now,
    );
    return { id, ...write, version: 1, created: now, lastModified: now, hasLogo: false };
  }

  async update(db: Prisma.TransactionClient, current: GroupRecord, write: GroupWrite, now: Date): Promise<GroupRecord> {
    await db.$executeRawUnsafe(
      `UPDATE groups SET display_name = $2, external_id = $3, doc = $4::jsonb, version = version + 1, last_modified = $5
       WHERE id = $1::uuid`,
      current.id,
      write.displayName,
      write.externalId,
      JSON.stringify(write.doc),
      now,
    );
    return { ...current, ...write, version: current.version + 1, lastModified: now };
  }

  /**
   * Writes a new document of a group in ONE statement, with its change events, only if the row
   * still has the version it was read with (see UsersRepository.updateIfVersion). Undefined when
   * the version moved or the row is gone.
   */
  async updateIfVersion(
    current: GroupRecord,
    write: GroupWrite,
    now: Date,
    events: EventRow[],
  ): Promise<GroupRecord | undefined> {
    const params: unknown[] = [
      current.id,
      current.version,
      write.displayName,
      write.externalId,
      JSON.stringify(write.doc),
      now.toISOString(),
    ];
    const ctes = [
      `u AS (UPDATE groups SET display_name = $3, external_id = $4, doc = $5::jsonb, version = version + 1,
         last_modified = $6::timestamptz WHERE id = $1::uuid AND version = $2 RETURNING id, version)`,
    ];
    if (events.length) {
      params.push(eventsJson(events));
      ctes.push(`ev AS (${eventsInsertSql(`$${params.length}`, 'u')})`);
    }
    const rows = await this.prisma.writes.query<{ version: number }>(
      `WITH ${ctes.join(',\n')} SELECT version FROM u`,
      params,
    );
    return rows.length ? { ...current, ...write, version: Number(rows[0].version), lastModified: now } : undefined;
  }

  /** A membership change is a change of the group: new version, new lastModified. */
  async touch(db: Prisma.TransactionClient, current: GroupRecord, now: Date): Promise<GroupRecord> {
    await db.$executeRawUnsafe(
      `UPDATE groups SET version = version + 1, last_modified = $2 WHERE id = $1::uuid`,
      current.id,
      now,
    );
    return { ...current, version: current.version + 1, lastModified: now };
  }

  async delete(db: Db, id: string): Promise<boolean> {
    return (await db.$executeRawUnsafe(`DELETE FROM groups WHERE id = $1::uuid`, id)) > 0;
  }

  /** One page of groups in one statement (see store/pages.ts). */
  async page(query: PageQuery): Promise<PageRows<GroupRecord & { sortKey?: unknown }>> {
    return readPage(this.prisma.reads, GROUPS, query);
  }

  async count(where: string, params: unknown[]): Promise<number> {
    return countRows(this.prisma.reads, GROUPS, where, params);
  }

  async memberCount(groupId: string, db: Db = this.prisma.client): Promise<number> {
    const rows = await db.$queryRawUnsafe<{ n: bigint | number }[]>(
      `SELECT count(*) AS n FROM group_members WHERE group_id = $1::uuid`,
      groupId,
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Members of several groups at once (list responses). */
  async membersOf(groupIds: string[]): Promise<MemberRow[]> {
    if (!groupIds.length) {
      return [];
    }
    return this.prisma.reads.query<MemberRow>(
      `SELECT ${SELECT_MEMBER} WHERE m.group_id = ANY($1::uuid[]) ORDER BY m.group_id, m.member_id`,
      [groupIds],
    );
  }

  /** One page of a group's members in member-id order, after `afterId` (keyset, for streaming). */
  async memberPage(groupId: string, afterId: string | undefined, limit: number): Promise<MemberRow[]> {
    return this.prisma.reads.query<MemberRow>(
      `SELECT ${SELECT_MEMBER} WHERE m.group_id = $1::uuid AND ($2::uuid IS NULL OR m.member_id > $2::uuid)
       ORDER BY m.member_id LIMIT $3`,
      [groupId, afterId ?? null, limit],
    );
  }

  /** Which of `ids` name users and which name groups. */
  async classify(ids: string[], db: Db = this.prisma.client): Promise<Map<string, MemberType>> {
    if (!ids.length) {
      return new Map();
    }
    const rows = await db.$queryRawUnsafe<{ id: string; type: MemberType }[]>(
      `SELECT id::text AS id, 'User' AS type FROM users WHERE id = ANY($1::uuid[])
       UNION ALL SELECT id::text, 'Group' FROM groups WHERE id = ANY($1::uuid[])`,
      ids,
    );
    return new Map(rows.map((r) => [r.id, r.type]));
  }

  /** Inserts the memberships that are missing; existing ones stay as they are. */
  async addMembers(
    db: Prisma.TransactionClient,
    groupId: string,
    members: MemberKey[],
    now: Date,
  ): Promise<MemberDelta> {
    if (!members.length) {
      return NO_DELTA;
    }
    return delta(
      db,
      `INSERT INTO group_members (group_id, member_id, member_type, user_id, child_group_id, display, created)
       SELECT $1::uuid, x.id, x.type,
              CASE WHEN x.type = 'User' THEN x.id END, CASE WHEN x.type = 'Group' THEN x.id END, x.display, $5
       FROM unnest($2::uuid[], $3::text[], $4::text[]) AS x(id, type, display)
       ON CONFLICT (group_id, member_id) DO NOTHING`,
      groupId,
      members.map((m) => m.id),
      members.map((m) => m.type),
      members.map((m) => m.display ?? null),
      now,
    );
  }

  async removeMembers(db: Prisma.TransactionClient, groupId: string, ids: string[]): Promise<MemberDelta> {
    if (!ids.length) {
      return NO_DELTA;
    }
    // One index probe per id, whatever the planner thinks of the group: with `member_id = ANY($2)`
    // it reads the whole group (or the whole table, when one group is most of it) once the id
    // list is long, and the cost follows the group's size. LIMIT 1 keeps the lateral subquery
    // from being flattened into a join the planner could hash; (group_id, member_id) is the
    // primary key, so it drops nothing.
    return delta(
      db,
      `DELETE FROM group_members d WHERE d.ctid = ANY (ARRAY(
         SELECT m.ctid FROM unnest($2::uuid[]) AS x(id)
         CROSS JOIN LATERAL (SELECT m.ctid FROM group_members m WHERE m.group_id = $1::uuid AND m.member_id = x.id LIMIT 1) AS m))`,
      groupId,
      ids,
    );
  }

  async removeAllMembers(db: Prisma.TransactionClient, groupId: string): Promise<MemberDelta> {
    return delta(db, `DELETE FROM group_members WHERE group_id = $1::uuid`, groupId);
  }

  /** Makes the member set exactly `members`, as a diff: only what differs is deleted or inserted. */
  async replaceMembers(
    db: Prisma.TransactionClient,
    groupId: string,
    members: MemberKey[],
    now: Date,
  ): Promise<{ added: MemberDelta; removed: MemberDelta }> {
    const removed = await delta(
      db,
      `DELETE FROM group_members WHERE group_id = $1::uuid AND NOT (member_id = ANY($2::uuid[]))`,
      groupId,
      members.map((m) => m.id),
    );
    return { removed, added: await this.addMembers(db, groupId, members, now) };
  }

  /** Deletes the members for which a PATCH path's value filter (`members[...]`) holds, compiled here. */
  async removeMembersWhere(
    db: Prisma.TransactionClient,
    groupId: string,
    filter: Filter,
    context: Pick<SqlCompileContext, 'registry' | 'baseUrl'>,
  ): Promise<MemberDelta> {
    const params = new SqlParams();
    const exists = compileMemberCondition(filter, { ...context, resourceType: 'Group', params });
    const g = `$${params.values.length + 1}`;
    return delta(
      db,
      `DELETE FROM group_members d WHERE d.group_id = ${g}::uuid AND EXISTS (SELECT 1 FROM groups r WHERE r.id = d.group_id AND ${exists})`,
      ...params.values,
      groupId,
    );
  }

  /** True when `groupId` is `candidateId` or is (transitively) a member of it: adding the candidate would close a cycle. */
  async wouldCycle(db: Prisma.TransactionClient, groupId: string, candidateIds: string[]): Promise<string | undefined> {
    if (!candidateIds.length) {
      return undefined;
    }
    const rows = await db.$queryRawUnsafe<{ id: string }[]>(
      `WITH RECURSIVE below(root, id) AS (
         SELECT c, c FROM unnest($2::uuid[]) AS c
         UNION SELECT below.root, gm.child_group_id FROM group_members gm JOIN below ON gm.group_id = below.id
           WHERE gm.child_group_id IS NOT NULL
       )
       SELECT root::text AS id FROM below WHERE id = $1::uuid LIMIT 1`,
      groupId,
      candidateIds,
    );
    return rows[0]?.id;
  }

  async findLogo(
    groupId: string,
  ): Promise<{ mediaType: string; content: Buffer; sha256: string; updated: Date } | undefined> {
    const rows = await this.prisma.client.$queryRawUnsafe<
      { mediaType: string; content: Uint8Array; sha256: string; updated: Date }[]
    >(`SELECT media_type AS "mediaType", content, sha256, updated FROM group_logos WHERE group_id = $1::uuid`, groupId);
    const row = rows[0];
    return row ? { ...row, content: Buffer.from(row.content) } : undefined;
  }

  async saveLogo(
    db: Prisma.TransactionClient,
    groupId: string,
    logo: { mediaType: string; content: Buffer; sha256: string },
    now: Date,
  ): Promise<void> {
    await db.groupLogo.upsert({
      where: { groupId },
      create: {
        groupId,
        mediaType: logo.mediaType,
        content: new Uint8Array(logo.content),
        sha256: logo.sha256,
        updated: now,
      },
      update: { mediaType: logo.mediaType, content: new Uint8Array(logo.content), sha256: logo.sha256, updated: now },
    });
  }

  async deleteLogo(db: Prisma.TransactionClient, groupId: string): Promise<boolean> {
    return (await db.$executeRawUnsafe(`DELETE FROM group_logos WHERE group_id = $1::uuid`, groupId)) > 0;
  }

  /** Serialises changes of the group graph, so two concurrent nestings cannot form a cycle together. */
  async lockGroupGraph(db: Prisma.TransactionClient): Promise<void> {
    await db.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(7240311524)`);
  }
}
