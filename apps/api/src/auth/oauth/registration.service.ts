import { Inject, Injectable, Logger } from '@nestjs/common';
import { OAuthClientsRepository, PrismaService } from '@roster/db';
import { EventsService } from '../../events/events.service';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../../config';
import { isAcceptableJwksUrl } from '../auth-config';
import { AUTHORIZATION_CODE_GRANT, OAuthClientsService, REFRESH_TOKEN_GRANT, validateJwks } from '../clients.service';
import { randomSecret, sha256 } from '../secrets';
import { splitScope } from '../scopes';
import { OAuthError } from './oauth-error';
import { redirectUriProblem } from './redirect-uris';

const METHODS = ['none', 'client_secret_post', 'client_secret_basic', 'private_key_jwt'];
/** Members Roster interprets; everything else optional (RFC 7591 §2) is kept as sent, within a size budget. */
const INTERPRETED = new Set([
  'redirect_uris',
  'token_endpoint_auth_method',
  'grant_types',
  'response_types',
  'client_name',
  'scope',
  'jwks',
  'jwks_uri',
  'client_id',
  'client_secret',
  'software_statement',
]);
const MAX_BODY = 64 * 1024;
const MAX_KEPT = 16 * 1024;
const SWEEP_MS = 3600_000;

export type RegistrationResponse = Record<string, unknown>;

/**
 * Dynamic client registration (RFC 7591) for assistants that register themselves (claude.ai,
 * Le Chat, MCP SDK clients). Lenient with what real clients send — unknown and optional members
 * are kept or ignored, never refused — and strict where it matters: redirect URIs are https (or
 * http on loopback) without fragments, the auth method is one Roster enforces, a secret is shown
 * once and stored hashed. Registered clients may use the authorization-code and refresh-token
 * grants only; unused ones expire (a day when never used, OAUTH_DYNAMIC_CLIENT_MAX_IDLE_DAYS after
 * their last use).
 */
@Injectable()
export class RegistrationService {
  private readonly logger = new Logger('Registration');
  private lastSweep = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: OAuthClientsRepository,
    private readonly clients: OAuthClientsService,
    private readonly prisma: PrismaService,
    private readonly events: EventsService,
  ) {}

  async register(body: unknown): Promise<RegistrationResponse> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw metadata('The registration request must be a JSON object of client metadata.');
    }
    if (JSON.stringify(body).length > MAX_BODY) {
      throw metadata(`The client metadata is larger than ${MAX_BODY} bytes.`);
    }
    const input = body as Record<string, unknown>;
    const redirectUris = input.redirect_uris;
    if (!Array.isArray(redirectUris) || !redirectUris.length || redirectUris.length > 20) {
      throw new OAuthError('invalid_redirect_uri', 'redirect_uris must list 1 to 20 redirect URIs.');
    }
    for (const uri of redirectUris) {
      const problem = redirectUriProblem(uri);
      if (problem) {
        throw new OAuthError('invalid_redirect_uri', `Redirect URI refused: ${problem}.`);
      }
    }
    const method = input.token_endpoint_auth_method ?? 'client_secret_basic';
    if (typeof method !== 'string' || !METHODS.includes(method)) {
      throw metadata(`token_endpoint_auth_method must be one of ${METHODS.join(', ')}.`);
    }
    const grantTypes = this.grantTypes(input.grant_types);
    if (
      input.response_types !== undefined &&
      !(Array.isArray(input.response_types) && input.response_types.includes('code'))
    ) {
      throw metadata('response_types must include "code" (the only response type Roster serves).');
    }
    let jwks: Record<string, unknown> | undefined;
    let jwksUri: string | undefined;
    if (method === 'private_key_jwt') {
      if ((input.jwks === undefined) === (input.jwks_uri === undefined)) {
        throw metadata('private_key_jwt needs the client public keys: jwks or jwks_uri (one of them).');
      }
      if (input.jwks !== undefined) {
        try {
          jwks = validateJwks(input.jwks);
        } catch (error) {
          throw metadata(error instanceof Error ? error.message : 'jwks is not a valid public JWKS.');
        }
      } else if (typeof input.jwks_uri !== 'string' || !isAcceptableJwksUrl(input.jwks_uri)) {
        throw metadata('jwks_uri must be an https URL.');
      } else {
        jwksUri = input.jwks_uri;
      }
    }
    const scopes = splitScope(typeof input.scope === 'string' ? input.scope : undefined).filter(
      (s) => s === 'scim.read' || s === 'scim.write',
    );
    const name =
      typeof input.client_name === 'string' && input.client_name.trim()
        ? input.client_name.trim().slice(0, 200)
        : 'An unnamed application';
    const secret =
      method === 'client_secret_post' || method === 'client_secret_basic' ? randomSecret('roster_cs_') : undefined;
    const kept = this.kept(input);
    const record = await this.prisma.transaction(async (tx) => {
      const inserted = await this.repository.insert(
        {
          id: randomUUID(),
          name,
          grantTypes,
          scope: (scopes.length ? scopes : ['scim.read', 'scim.write']).join(' '),
          tokenEndpointAuthMethod: method,
          jwks: jwks ?? null,
          jwksUri: jwksUri ?? null,
          secretHash: secret === undefined ? null : sha256(secret).toString('hex'),
          redirectUris: [...new Set(redirectUris as string[])],
          dynamic: true,
          metadata: kept,
        },
        tx,
      );
      await this.events.credential(tx, 'client.registered', 'OAuthClient', inserted.id, [
        { path: 'name', value: name },
        { path: 'dynamic', value: true },
        { path: 'redirect_uris', value: inserted.redirectUris },
      ]);
      return inserted;
    });
    this.sweep();
    this.logger.log(
      { clientId: record.id, method, redirectUris: record.redirectUris },
      `Registered "${name}" dynamically.`,
    );
    return {
      ...kept,
      client_id: record.id,
      client_id_issued_at: Math.floor(record.created.getTime() / 1000),
      ...(secret === undefined ? {} : { client_secret: secret, client_secret_expires_at: 0 }),
      client_name: record.name,
      redirect_uris: record.redirectUris,
      grant_types: record.grantTypes,
      response_types: ['code'],
      token_endpoint_auth_method: record.tokenEndpointAuthMethod,
      scope: record.scope,
      ...(jwks ? { jwks } : {}),
      ...(jwksUri ? { jwks_uri: jwksUri } : {}),
    };
  }

  /** The grants a dynamic client may have: those two of what it asked for; unknown values are dropped. */
  private grantTypes(value: unknown): string[] {
    if (value === undefined) {
      return [AUTHORIZATION_CODE_GRANT];
    }
    if (!Array.isArray(value)) {
      throw metadata('grant_types must be an array.');
    }
    const grants = [AUTHORIZATION_CODE_GRANT, REFRESH_TOKEN_GRANT].filter((g) => value.includes(g));
    if (!grants.includes(AUTHORIZATION_CODE_GRANT)) {
      throw metadata('Dynamically registered clients use the authorization_code grant (and refresh_token).');
    }
    return grants;
  }

  /** Optional members kept as sent (contacts, logo_uri, client_name#fr, software_id, ...), within a budget. */
  private kept(input: Record<string, unknown>): Record<string, unknown> {
    const kept: Record<string, unknown> = {};
    let size = 0;
    for (const [name, value] of Object.entries(input)) {
      if (INTERPRETED.has(name) || name.length > 100) {
        continue;
      }
      const length = JSON.stringify(value ?? null).length;
      if (size + length > MAX_KEPT) {
        continue;
      }
      size += length;
      kept[name] = value;
    }
    return kept;
  }

  private sweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_MS) {
      return;
    }
    this.lastSweep = now;
    this.clients.deleteExpiredDynamic().catch((error: unknown) => {
      this.logger.warn({ err: String(error) }, 'Could not delete expired dynamic clients.');
    });
  }
}

function metadata(description: string): OAuthError {
  return new OAuthError('invalid_client_metadata', description);
}
