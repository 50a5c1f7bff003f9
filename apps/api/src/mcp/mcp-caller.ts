import type { AuthInfo } from '@modelcontextprotocol/server';
import { Principal, Scope } from '../auth/principal';

/**
 * Who is calling the MCP endpoint, as the auth guard established it. It travels to the
 * per-request MCP server inside the SDK's pass-through `AuthInfo.extra`, so that tools see the
 * same principal the guard checked instead of re-reading the token.
 */
export class McpCaller {
  constructor(readonly principal: Principal) {}

  has(scope: Scope): boolean {
    return this.principal.scopes.has(scope);
  }

  /** Rate limits and logs key on this: stable per credential, never the credential itself. */
  get key(): string {
    return `${this.principal.kind}:${this.principal.subject}`;
  }
}

const CALLER = 'rosterCaller';

/** The SDK's view of the caller: the token, its client and scopes, the resource it is for. */
export function toAuthInfo(principal: Principal, token: string, resource: string): AuthInfo {
  return {
    token,
    clientId: principal.clientId ?? principal.subject,
    scopes: [...principal.scopes],
    resource: new URL(resource),
    extra: { [CALLER]: new McpCaller(principal) },
  };
}

/** The caller an AuthInfo from `toAuthInfo` carries; the endpoint never serves a request without one. */
export function callerOf(authInfo: AuthInfo | undefined): McpCaller {
  const caller = authInfo?.extra?.[CALLER];
  if (!(caller instanceof McpCaller)) {
    throw new Error('MCP request without an authenticated caller.');
  }
  return caller;
}
