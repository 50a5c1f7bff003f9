import { ArgumentsHost, Catch, ExceptionFilter, Injectable } from '@nestjs/common';
import { RouteTable } from '../common/route-table';
import { ScimExceptionFilter, ScimHttpError } from '../common/scim-exception.filter';

/** The scopes an MCP client should ask for: reading and changing the directory (what the PRM lists). */
export const MCP_CHALLENGE_SCOPE = 'scim.read scim.write';

/**
 * Adds `scope="scim.read scim.write"` to the guard's 401 challenges on /v2/mcp. The route needs
 * no scope to connect (the tool list follows the token's scopes), so the guard names none;
 * MCP clients, however, request exactly the challenged scopes (MCP authorization, 2025-11-25),
 * and without them would ask for a token that cannot change anything. Everything else is
 * rendered by the application's SCIM filter, unchanged.
 */
@Catch()
@Injectable()
export class McpChallengeFilter implements ExceptionFilter {
  private readonly scim: ScimExceptionFilter;

  constructor(routes: RouteTable) {
    this.scim = new ScimExceptionFilter(routes);
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const challenge = exception instanceof ScimHttpError ? exception.headers['www-authenticate'] : undefined;
    if (exception instanceof ScimHttpError && exception.status === 401 && challenge && !/\bscope="/.test(challenge)) {
      const params = challenge.replace(/^Bearer\s+/i, '').split(/,\s*(?=[a-z_]+=")/);
      params.splice(1, 0, `scope="${MCP_CHALLENGE_SCOPE}"`);
      const headers = { ...exception.headers, 'www-authenticate': `Bearer ${params.join(', ')}` };
      this.scim.catch(new ScimHttpError(401, exception.detail, headers, exception.scimType), host);
      return;
    }
    this.scim.catch(exception, host);
  }
}
