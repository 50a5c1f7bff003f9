import { Injectable } from '@nestjs/common';
import { ScimError } from '@roster/scim';
import { Principal } from '../auth/principal';
import { Projected } from '../common/list-query';
import { UserResult, UsersService } from '../users/users.service';

/** RFC 7644 §3.11 `/Me`: the User the bearer token acts for. */
@Injectable()
export class MeService {
  constructor(private readonly users: UsersService) {}

  async get(principal: Principal, projected: Projected): Promise<UserResult> {
    if (!principal.userId) {
      throw ScimError.notFound(
        `This token is not tied to a directory user (it is ${describe(principal)}), so /Me has no User to return.`,
      );
    }
    return this.users.get(principal.userId, projected);
  }
}

function describe(principal: Principal): string {
  switch (principal.kind) {
    case 'admin':
      return 'the admin token';
    case 'api-token':
      return 'an API token';
    case 'access-token':
      return `an access token of client ${principal.clientId ?? 'unknown'} for the client itself`;
    case 'external-jwt':
      return 'a token from a trusted external issuer';
    case 'set-receiver':
      return "a SET receiver's poll token";
  }
}
