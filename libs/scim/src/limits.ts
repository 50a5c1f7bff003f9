/**
 * Group members one request may name: the one member limit of the service (POST, PUT and PATCH
 * of a group, each Bulk operation), checked with the other input limits (assertInputLimits),
 * advertised in the Group schema and documented in the README.
 */
export const MAX_MEMBERS_PER_REQUEST = 10_000;
