import { Prisma, recordUserRevocation, revokeEverythingOfUser } from '@roster/db';

/**
 * What deactivating or deleting a user ends, inside the transaction that writes the user: every
 * grant (refresh tokens stop at once), remembered consents, pending authorization codes and
 * browser sessions; and every access token issued to the user before now (the user's revocation
 * time, which the access-token strategy checks, cached for USER_REVOCATION_CACHE_SECONDS). UsersService calls it,
 * so SCIM PUT/PATCH/DELETE, Bulk and MCP all deprovision the same way.
 */
export async function revokeUserAccess(tx: Prisma.TransactionClient, userId: string): Promise<void> {
  const now = new Date();
  await revokeEverythingOfUser(tx, userId, now);
  await recordUserRevocation(tx, userId, now);
}
