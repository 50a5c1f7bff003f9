import { Injectable } from '@nestjs/common';
import { GrantRecord, OAuthClientsRepository, OAuthGrantsRepository, PrismaService } from '@roster/db';
import { EventsService } from '../../events/events.service';
import { ScimError } from '@roster/scim';
import { isResourceId } from '../../common/etag';
import { GrantsService } from '../oauth/grants.service';

export interface GrantView {
  id: string;
  client_id: string;
  client_name: string | null;
  dynamic: boolean;
  user_id: string;
  scope: string;
  resource: string;
  created: string;
  last_used_at: string | null;
  expires_at: string;
}

/** The management view of users' grants: list them, revoke one (for /admin and the CLI). */
@Injectable()
export class UserGrantsService {
  constructor(
    private readonly repository: OAuthGrantsRepository,
    private readonly clients: OAuthClientsRepository,
    private readonly grants: GrantsService,
    private readonly prisma: PrismaService,
    private readonly events: EventsService,
  ) {}

  async list(filter: { userId?: string; clientId?: string }): Promise<GrantView[]> {
    if (filter.userId !== undefined && !isResourceId(filter.userId)) {
      throw ScimError.badRequest('invalidValue', 'user must be a user id.');
    }
    if (filter.clientId !== undefined && filter.clientId.length > 2000) {
      throw ScimError.badRequest('invalidValue', 'client is too long.');
    }
    const rows = await this.repository.listGrants(filter, new Date());
    const names = new Map<string, { name: string; dynamic: boolean }>();
    for (const client of await this.clients.listActive()) {
      names.set(client.id, { name: client.name, dynamic: client.dynamic });
    }
    return rows.map((grant) => view(grant, names.get(grant.clientId)));
  }

  async revoke(id: string): Promise<void> {
    const grant = isResourceId(id) ? await this.grants.findGrant(id) : undefined;
    if (!grant || grant.revokedAt || !(await this.grants.revoke(id, 'revoked by an administrator'))) {
      throw ScimError.notFound(`Grant ${id} not found (or already revoked).`);
    }
    await this.prisma.transaction(async (tx) => {
      if ((await this.repository.deleteConsent(grant.userId, grant.clientId, tx)) > 0) {
        await this.events.credential(tx, 'consent.revoked', 'OAuthConsent', grant.userId, [
          { path: 'client_id', value: grant.clientId },
        ]);
      }
    });
  }
}

function view(grant: GrantRecord, client: { name: string; dynamic: boolean } | undefined): GrantView {
  return {
    id: grant.id,
    client_id: grant.clientId,
    // Metadata-document clients have no row; their id is their URL.
    client_name: client?.name ?? null,
    dynamic: client?.dynamic ?? true,
    user_id: grant.userId,
    scope: grant.scope,
    resource: grant.resource,
    created: grant.created.toISOString(),
    last_used_at: grant.lastUsedAt?.toISOString() ?? null,
    expires_at: grant.expiresAt.toISOString(),
  };
}
