import { Injectable } from '@nestjs/common';
import { RolesRepository, UserRecord, UsersRepository } from '@roster/db';

/** The claims an upstream identity can be matched by, and what they are compared with. */
const USER_NAME_CLAIMS = new Set(['email', 'preferred_username', 'upn']);

export type MatchOutcome = { user: UserRecord } | { refused: string };

/**
 * Finds the directory user an upstream identity (an OpenID Connect id_token, an ID-JAG) stands
 * for: by `email`, `preferred_username` or `upn` compared with userName case-insensitively, or
 * by `oid` or `sub` compared with externalId. Nothing is ever created; no match, an ambiguous
 * match or a deactivated user is a refusal.
 */
@Injectable()
export class UserMatcher {
  constructor(
    private readonly users: UsersRepository,
    private readonly roles: RolesRepository,
  ) {}

  async match(claims: Record<string, unknown>, claim: string): Promise<MatchOutcome> {
    const value = claims[claim];
    if (typeof value !== 'string' || !value || value.length > 256 || value.includes('\u0000')) {
      return { refused: `The identity has no usable "${claim}" claim to find a directory user by.` };
    }
    let user: UserRecord | undefined;
    if (USER_NAME_CLAIMS.has(claim)) {
      user = await this.users.findByUserName(value);
    } else {
      const ids = await this.roles.userIdsByExternalId(value);
      if (ids.length > 1) {
        return { refused: `More than one directory user has the externalId of this identity's "${claim}".` };
      }
      user = ids.length ? await this.users.findById(ids[0]) : undefined;
    }
    if (!user) {
      return { refused: `No directory user matches this identity (by ${claim}).` };
    }
    if (!user.active) {
      return { refused: 'The matching directory user is deactivated.' };
    }
    return { user };
  }
}
