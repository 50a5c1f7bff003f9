import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';

/** Directory questions the authorization server asks about a user's groups. */
@Injectable()
export class RolesRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Whether the user is a member, directly or through nested groups, of a group whose display
   * name is one of `displayNames` (compared case-insensitively, as display names are unique
   * that way). The walk goes up from the user's own groups; UNION stops at cycles.
   */
  async isMemberOfAny(userId: string, displayNames: readonly string[]): Promise<boolean> {
    if (!displayNames.length) {
      return false;
    }
    const rows = await this.prisma.client.$queryRawUnsafe<{ member: boolean }[]>(
      `WITH RECURSIVE up(group_id) AS (
         SELECT gm.group_id FROM group_members gm WHERE gm.user_id = $1::uuid
         UNION
         SELECT gm.group_id FROM group_members gm JOIN up ON gm.child_group_id = up.group_id
       )
       SELECT EXISTS (
         SELECT 1 FROM up JOIN groups g ON g.id = up.group_id
         WHERE lower(g.display_name::text) = ANY($2::text[])
       ) AS member`,
      userId,
      displayNames.map((name) => name.toLowerCase()),
    );
    return rows[0]?.member === true;
  }

  /** Ids of the users with this externalId (at most two: more than one makes the match ambiguous). */
  async userIdsByExternalId(externalId: string): Promise<string[]> {
    const rows = await this.prisma.client.$queryRawUnsafe<{ id: string }[]>(
      `SELECT id::text AS id FROM users WHERE external_id = $1 LIMIT 2`,
      externalId,
    );
    return rows.map((row) => row.id);
  }
}
