import { Inject, Injectable, Logger } from '@nestjs/common';
import { OAuthClientRecord, OAuthGrantsRepository, PrismaService } from '@roster/db';
import { EventsService } from '../../events/events.service';
import { APP_CONFIG, AppConfig } from '../../config';
import { AUTHORIZATION_CODE_GRANT } from '../clients.service';
import { RolesService } from '../login/roles.service';
import { BrowserSession } from '../login/session.service';
import { ResourceKind } from '../principal';
import { resourceUrl, userResourceKindOf } from '../resources';
import { splitScope } from '../scopes';
import { ClientDirectory } from './client-directory.service';
import { GrantsService } from './grants.service';
import { redirectUriMatches, S256_CHALLENGE } from './redirect-uris';

/** The parameters of an authorization request that the consent form posts back. */
export const AUTHORIZE_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'scope',
  'code_challenge',
  'code_challenge_method',
  'resource',
  'prompt',
] as const;

export type AuthorizeParams = Partial<Record<(typeof AUTHORIZE_PARAMS)[number], string>>;

/** A validated authorization request: the client and redirect URI are known good from here on. */
export interface AuthorizationRequest {
  params: AuthorizeParams;
  client: OAuthClientRecord;
  redirectUri: string;
  state?: string;
  resource: ResourceKind;
  /** Scopes the request asks for, among Roster's (before the user's roles narrow them). */
  asked: string[];
  offline: boolean;
  codeChallenge: string;
  prompts: Set<string>;
}

export type AuthorizeOutcome =
  /** The client or the redirect URI is not trustworthy: a page, never a redirect. */
  | { kind: 'error-page'; message: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'sign-in'; request: AuthorizationRequest }
  | { kind: 'consent'; request: AuthorizationRequest; scopes: string[]; withheld: string[] };

const RESOURCE_SCOPES = ['scim.read', 'scim.write'];

/**
 * The authorization endpoint's decisions (RFC 6749 §4.1, OAuth 2.1, RFC 8707, RFC 9207): who
 * the client is and where it may be sent back, PKCE, the resource, what the signed-in user may
 * grant, remembered consent and `prompt`. The controller only renders the outcome.
 */
@Injectable()
export class AuthorizeService {
  private readonly logger = new Logger('Authorize');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly directory: ClientDirectory,
    private readonly roles: RolesService,
    private readonly grants: GrantsService,
    private readonly consents: OAuthGrantsRepository,
    private readonly prisma: PrismaService,
    private readonly events: EventsService,
  ) {}

  /** Reads the parameters; a repeated one is an error (RFC 6749 §3.1). */
  static params(source: unknown): AuthorizeParams | { duplicate: string } {
    const record = typeof source === 'object' && source !== null ? (source as Record<string, unknown>) : {};
    const params: AuthorizeParams = {};
    for (const name of AUTHORIZE_PARAMS) {
      const value = record[name];
      if (Array.isArray(value)) {
        return { duplicate: name };
      }
      if (typeof value === 'string' && value !== '') {
        params[name] = value;
      }
    }
    return params;
  }

  /** Validates the request up to the point where redirecting back is safe, then the rest (as redirects). */
  async validate(raw: unknown): Promise<{ request: AuthorizationRequest } | AuthorizeOutcome> {
    const params = AuthorizeService.params(raw);
    if ('duplicate' in params) {
      return { kind: 'error-page', message: `The parameter ${params.duplicate} was sent more than once.` };
    }
    if (!params.client_id) {
      return { kind: 'error-page', message: 'The request names no client (client_id is missing).' };
    }
    if (params.client_id.length > 2000 || params.client_id.includes('\u0000')) {
      return { kind: 'error-page', message: 'The client_id is not valid.' };
    }
    const found = await this.directory.lookup(params.client_id);
    if ('error' in found) {
      return { kind: 'error-page', message: `Unknown application. ${found.error}` };
    }
    const { client } = found;
    if (!client.grantTypes.includes(AUTHORIZATION_CODE_GRANT) || !client.redirectUris.length) {
      return {
        kind: 'error-page',
        message: 'This client is not registered for sign-in (the authorization-code grant).',
      };
    }
    const redirectUri = params.redirect_uri ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
    if (!redirectUri) {
      return { kind: 'error-page', message: 'The request names no redirect_uri, and the client registered several.' };
    }
    if (!redirectUriMatches(redirectUri, client.redirectUris)) {
      return {
        kind: 'error-page',
        message: 'The redirect_uri is not one this client registered, so Roster will not send you there.',
      };
    }
    const back = (error: string, description: string): AuthorizeOutcome => ({
      kind: 'redirect',
      location: this.redirectWith(redirectUri, { error, error_description: description, state: params.state }),
    });
    if (params.response_type !== 'code') {
      return back('unsupported_response_type', 'Only response_type=code is supported.');
    }
    if (!params.code_challenge) {
      return back('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256.');
    }
    if (params.code_challenge_method !== 'S256') {
      return back('invalid_request', 'code_challenge_method must be S256 (plain is not accepted).');
    }
    if (!S256_CHALLENGE.test(params.code_challenge)) {
      return back('invalid_request', 'code_challenge must be the base64url SHA-256 of the verifier (43 characters).');
    }
    let resource: ResourceKind = 'mcp';
    if (params.resource !== undefined) {
      const kind = userResourceKindOf(this.config, params.resource);
      if (!kind) {
        return back(
          'invalid_target',
          `Unknown resource; use ${resourceUrl(this.config, 'mcp')} or ${resourceUrl(this.config, 'scim')}.`,
        );
      }
      resource = kind;
    }
    const requested = splitScope(params.scope ?? client.scope);
    const offline = requested.includes('offline_access');
    const clientScopes = splitScope(client.scope);
    const asked = RESOURCE_SCOPES.filter(
      (s) => (params.scope === undefined || requested.includes(s)) && clientScopes.includes(s),
    );
    const prompts = new Set(splitScope(params.prompt));
    if (prompts.has('none') && prompts.size > 1) {
      return back('invalid_request', 'prompt=none cannot be combined with other prompt values.');
    }
    return {
      request: {
        params,
        client,
        redirectUri,
        state: params.state,
        resource,
        asked,
        offline,
        codeChallenge: params.code_challenge,
        prompts,
      },
    };
  }

  /** The GET (or a re-entry after sign-in): sign in, ask, or answer at once with a remembered consent. */
  async authorize(raw: unknown, session: BrowserSession | undefined): Promise<AuthorizeOutcome> {
    const validated = await this.validate(raw);
    if (!('request' in validated)) {
      return validated;
    }
    const { request } = validated;
    // prompt=login (OIDC Core §3.1.2.1): sign in again even with a session; the sign-in page's
    // return address drops `login`, so the request continues once the user has signed in anew.
    if (!session?.user || request.prompts.has('login')) {
      return request.prompts.has('none')
        ? this.error(request, 'login_required', 'Nobody is signed in to Roster in this browser.')
        : { kind: 'sign-in', request };
    }
    const user = session.user;
    const grantable = await this.roles.grantableScopes(user.id);
    const scopes = request.asked.filter((s) => grantable.some((g) => g === s));
    const withheld = request.asked.filter((s) => !scopes.includes(s));
    if (!scopes.length) {
      return this.error(request, 'invalid_scope', 'Nothing requested may be granted by this user.');
    }
    if (!request.prompts.has('consent')) {
      const consent = await this.consents.findConsent(user.id, request.client.id, request.resource);
      const covered = consent && scopes.every((s) => splitScope(consent.scope).includes(s));
      if (covered) {
        return this.approve(request, user.id, scopes);
      }
    }
    if (request.prompts.has('none')) {
      return this.error(request, 'consent_required', 'The user has not allowed this client yet.');
    }
    return { kind: 'consent', request, scopes, withheld };
  }

  /** The consent form's answer; the caller has checked the session and its CSRF token. */
  async decide(raw: unknown, session: BrowserSession, allow: boolean, remember: boolean): Promise<AuthorizeOutcome> {
    const outcome = await this.authorize({ ...(raw as Record<string, unknown>), prompt: 'consent' }, session);
    if (outcome.kind !== 'consent') {
      return outcome;
    }
    const { request, scopes } = outcome;
    const user = session.user as NonNullable<BrowserSession['user']>;
    if (!allow) {
      this.logger.log({ clientId: request.client.id, userId: user.id }, 'Consent denied.');
      return this.error(request, 'access_denied', 'The user denied access.');
    }
    if (remember) {
      await this.prisma.transaction(async (tx) => {
        const consent = {
          userId: user.id,
          clientId: request.client.id,
          resource: request.resource,
          scope: scopes.join(' '),
        };
        await this.consents.saveConsent(consent, new Date(), tx);
        await this.events.credential(
          tx,
          'consent.granted',
          'OAuthConsent',
          user.id,
          [
            { path: 'client_id', value: consent.clientId },
            { path: 'resource', value: consent.resource },
            { path: 'scope', value: consent.scope },
          ],
          { kind: 'user', id: user.id, name: user.userName },
        );
      });
    }
    this.logger.log({ clientId: request.client.id, userId: user.id, scope: scopes.join(' ') }, 'Consent given.');
    return this.approve(request, user.id, scopes);
  }

  private async approve(request: AuthorizationRequest, userId: string, scopes: string[]): Promise<AuthorizeOutcome> {
    const code = await this.grants.issueCode({
      clientId: request.client.id,
      userId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      resource: request.resource,
      scopes,
      offline: request.offline,
    });
    return { kind: 'redirect', location: this.redirectWith(request.redirectUri, { code, state: request.state }) };
  }

  error(request: AuthorizationRequest, error: string, description: string): AuthorizeOutcome {
    return {
      kind: 'redirect',
      location: this.redirectWith(request.redirectUri, { error, error_description: description, state: request.state }),
    };
  }

  /** Every answer carries `state` and `iss` (RFC 9207), added to whatever query the redirect URI has. */
  private redirectWith(redirectUri: string, values: Record<string, string | undefined>): string {
    const url = new URL(redirectUri);
    for (const [name, value] of Object.entries({ ...values, iss: this.config.publicUrl })) {
      if (value !== undefined) {
        url.searchParams.append(name, value);
      }
    }
    return url.href;
  }
}
