import { Inject, Injectable } from '@nestjs/common';
import { RolesRepository } from '@roster/db';
import { APP_CONFIG, AppConfig } from '../../config';
import { Scope } from '../principal';

/**
 * What a signed-in directory user may grant an application (and, later, do in the admin
 * console): every active user scim.read; members, direct or through nested groups, of a group
 * named in ROSTER_ADMIN_GROUPS also scim.write.
 */
@Injectable()
export class RolesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly roles: RolesRepository,
  ) {}

  isAdmin(userId: string): Promise<boolean> {
    return this.roles.isMemberOfAny(userId, this.config.login.adminGroups);
  }

  async grantableScopes(userId: string): Promise<Scope[]> {
    return (await this.isAdmin(userId)) ? ['scim.read', 'scim.write'] : ['scim.read'];
  }
}
