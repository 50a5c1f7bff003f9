import type { Principal } from '../auth/principal';
import { currentScope, runInScope } from '../common/request-scope';

/** Who made a change, as an event records it. */
export interface Actor {
  kind: string;
  id: string | null;
  name: string | null;
  requestId: string | null;
  clientAddress: string | null;
  userAgent: string | null;
}

/** Longest User-Agent an event keeps. */
const MAX_USER_AGENT = 512;

/**
 * Runs `fn` with a fixed actor (the command line over the database, tests, background work, the
 * console acting for its administrator). Inside a request the rest of its scope (signal, request
 * id, hashing share) stays; outside one the actor is all there is.
 */
export function runAsActor<T>(actor: Partial<Actor> & { kind: string }, fn: () => T): T {
  return runInScope(
    { actor: { id: null, name: null, requestId: null, clientAddress: null, userAgent: null, ...actor } },
    fn,
  );
}

/** The actor of the code running now; `system` outside any request or actor scope. */
export function currentActor(): Actor {
  const scope = currentScope();
  if (scope?.actor) {
    return scope.actor;
  }
  const request = scope?.request;
  if (!request) {
    return { kind: 'system', id: null, name: null, requestId: null, clientAddress: null, userAgent: null };
  }
  const principal = request.principal;
  const agent = request.headers['user-agent'];
  return {
    kind: principal?.kind ?? 'anonymous',
    id: principal ? actorId(principal) : null,
    name: principal ? actorName(principal) : null,
    requestId: request.id,
    // request.ip honours TRUST_PROXY (Fastify's trustProxy option).
    clientAddress: request.ip ?? null,
    userAgent: typeof agent === 'string' ? agent.slice(0, MAX_USER_AGENT) : null,
  };
}

function actorId(principal: Principal): string {
  if (principal.kind === 'api-token') {
    return principal.subject.replace(/^api-token:/, '');
  }
  return principal.userId ?? principal.subject;
}

function actorName(principal: Principal): string | null {
  switch (principal.kind) {
    case 'admin':
      return 'admin token';
    case 'api-token':
      return principal.name ?? null;
    default:
      // An OAuth access token names its client; acting for a user, the id is the user's.
      return principal.clientId ?? principal.subject;
  }
}
