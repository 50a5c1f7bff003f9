import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Principal } from '../auth/principal';

/** Who made a change, as an event records it. */
export interface Actor {
  kind: string;
  id: string | null;
  name: string | null;
  requestId: string | null;
  clientAddress: string | null;
  userAgent: string | null;
}

/**
 * Where the code that appends an event finds its actor: the HTTP request being served (its
 * principal is set by the AuthGuard after this scope starts, so it is read when the event is
 * written), or a fixed actor for work outside HTTP (the local command line, background jobs).
 */
type ActorSource = { request: FastifyRequest & { principal?: Principal } } | { actor: Actor };

const storage = new AsyncLocalStorage<ActorSource>();

/** Longest User-Agent an event keeps. */
const MAX_USER_AGENT = 512;

/** Registered right after the request scope, before observability captures the handler's context. */
export function registerActorScope(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => storage.run({ request }, done));
}

/** Runs `fn` with a fixed actor (the command line over the database, tests, background work). */
export function runAsActor<T>(actor: Partial<Actor> & { kind: string }, fn: () => T): T {
  return storage.run(
    {
      actor: { id: null, name: null, requestId: null, clientAddress: null, userAgent: null, ...actor },
    },
    fn,
  );
}

/** The actor of the code running now; `system` outside any request or actor scope. */
export function currentActor(): Actor {
  const source = storage.getStore();
  if (!source) {
    return { kind: 'system', id: null, name: null, requestId: null, clientAddress: null, userAgent: null };
  }
  if ('actor' in source) {
    return source.actor;
  }
  const { request } = source;
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
