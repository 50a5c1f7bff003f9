import { Inject, Injectable, Logger } from '@nestjs/common';
import { UserRecord } from '@roster/db';
import { createRemoteJWKSet, errors, JWTPayload, jwtVerify, JWTVerifyGetKey } from 'jose';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../../config';
import { s256 } from '../oauth/redirect-uris';
import { BrowserSession, SessionService } from './session.service';
import { UserMatcher } from './user-matcher';

const TIMEOUT_MS = 5_000;
const METADATA_TTL_MS = 3600_000;
/** A sign-in that takes longer than this at the identity provider starts over. */
const PENDING_MS = 10 * 60_000;

interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  token_endpoint_auth_methods_supported?: string[];
}

interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
  at: number;
}

export type UpstreamOutcome = { user: UserRecord; returnTo: string } | { refused: string; returnTo?: string };

export const OIDC_CALLBACK_PATH = '/v2/Login/Oidc/Callback';

/**
 * Sign-in through an upstream OpenID Connect provider (Entra ID, Okta, ...), for users
 * provisioned from it who have no password in Roster: authorization code with PKCE, a nonce and
 * a state kept in the browser session, the id_token verified with jose against the provider's
 * JWKS (iss, aud, exp, nonce), and the identity matched to an existing directory user by
 * OIDC_MATCH_CLAIM. Nothing is ever created.
 */
@Injectable()
export class OidcUpstreamService {
  private readonly logger = new Logger('OidcUpstream');
  private metadata: { value: ProviderMetadata; at: number } | undefined;
  private keys: { uri: string; getKey: JWTVerifyGetKey } | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: SessionService,
    private readonly matcher: UserMatcher,
  ) {}

  /** The provider's display name, when upstream sign-in is configured. */
  get name(): string | undefined {
    return this.config.login.oidc?.name;
  }

  private get settings(): NonNullable<AppConfig['login']['oidc']> {
    const oidc = this.config.login.oidc;
    if (!oidc) {
      throw new Error('Upstream OpenID Connect is not configured.');
    }
    return oidc;
  }

  /** Where to send the browser: the provider's authorization endpoint, with state kept in the session. */
  async start(session: BrowserSession, returnTo: string): Promise<string> {
    const metadata = await this.discover();
    const pending: Pending = {
      state: randomBytes(24).toString('base64url'),
      nonce: randomBytes(24).toString('base64url'),
      verifier: randomBytes(32).toString('base64url'),
      returnTo,
      at: Date.now(),
    };
    await this.sessions.setState(session, { ...session.record.state, oidc: pending });
    const url = new URL(metadata.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.settings.clientId,
      redirect_uri: `${this.config.publicUrl}${OIDC_CALLBACK_PATH}`,
      scope: 'openid email profile',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: s256(pending.verifier),
      code_challenge_method: 'S256',
    }).toString();
    return url.href;
  }

  /** The provider sent the browser back: check the state, redeem the code, verify the id_token, match the user. */
  async finish(session: BrowserSession | undefined, query: Record<string, unknown>): Promise<UpstreamOutcome> {
    const pending = session?.record.state.oidc as Pending | undefined;
    if (!session || !pending || typeof query.state !== 'string' || query.state !== pending.state) {
      return { refused: 'This sign-in was not started here, or it was started in another browser. Start again.' };
    }
    await this.sessions.setState(session, { ...session.record.state, oidc: undefined });
    const returnTo = pending.returnTo;
    if (Date.now() - pending.at > PENDING_MS) {
      return { refused: 'The sign-in took too long. Start again.', returnTo };
    }
    if (typeof query.error === 'string') {
      return { refused: `The identity provider did not sign you in (${query.error.slice(0, 100)}).`, returnTo };
    }
    if (typeof query.code !== 'string' || !query.code || query.code.length > 4096) {
      return { refused: 'The identity provider sent no authorization code.', returnTo };
    }
    let claims: JWTPayload;
    try {
      claims = await this.redeem(query.code, pending);
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'Upstream sign-in failed.');
      return { refused: 'The identity provider’s answer could not be verified. Try again later.', returnTo };
    }
    const matched = await this.matcher.match(claims, this.settings.matchClaim);
    if ('refused' in matched) {
      this.logger.log({ claim: this.settings.matchClaim }, `Upstream identity refused: ${matched.refused}`);
      return { refused: `${matched.refused} Ask your administrator to provision your account.`, returnTo };
    }
    return { user: matched.user, returnTo };
  }

  private async redeem(code: string, pending: Pending): Promise<JWTPayload> {
    const metadata = await this.discover();
    const { clientId, clientSecret } = this.settings;
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: `${this.config.publicUrl}${OIDC_CALLBACK_PATH}`,
      code_verifier: pending.verifier,
    });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    const methods = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
    if (methods.includes('client_secret_basic')) {
      const pair = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    const response = await fetch(metadata.token_endpoint, {
      method: 'POST',
      headers,
      body: form.toString(),
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok || typeof body.id_token !== 'string') {
      throw new Error(`token endpoint answered ${response.status} ${typeof body.error === 'string' ? body.error : ''}`);
    }
    try {
      const { payload } = await jwtVerify(body.id_token, this.jwks(metadata.jwks_uri), {
        issuer: metadata.issuer,
        audience: clientId,
        clockTolerance: this.config.auth.clockSkew,
        requiredClaims: ['exp', 'iat', 'sub', 'nonce'],
      });
      if (payload.nonce !== pending.nonce) {
        throw new Error('id_token nonce mismatch');
      }
      return payload;
    } catch (error) {
      throw new Error(
        `id_token refused: ${error instanceof errors.JOSEError ? error.code : error instanceof Error ? error.message : ''}`,
        { cause: error },
      );
    }
  }

  private jwks(uri: string): JWTVerifyGetKey {
    if (this.keys?.uri !== uri) {
      this.keys = {
        uri,
        getKey: createRemoteJWKSet(new URL(uri), {
          cacheMaxAge: 10 * 60_000,
          cooldownDuration: 30_000,
          timeoutDuration: TIMEOUT_MS,
        }),
      };
    }
    return this.keys.getKey;
  }

  /** The provider's metadata (OpenID Connect Discovery), cached for an hour; its issuer must be the configured one. */
  private async discover(): Promise<ProviderMetadata> {
    if (this.metadata && Date.now() - this.metadata.at < METADATA_TTL_MS) {
      return this.metadata.value;
    }
    const issuer = this.settings.issuer;
    const response = await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok) {
      throw new Error(`OpenID Connect discovery answered ${response.status}`);
    }
    const value = (await response.json()) as ProviderMetadata;
    if (value.issuer?.replace(/\/+$/, '') !== issuer.replace(/\/+$/, '')) {
      throw new Error('OpenID Connect discovery names another issuer than OIDC_ISSUER');
    }
    for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
      if (typeof value[field] !== 'string') {
        throw new Error(`OpenID Connect discovery lacks ${field}`);
      }
    }
    this.metadata = { value, at: Date.now() };
    return value;
  }
}
