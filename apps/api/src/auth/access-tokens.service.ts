import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config';
import { ResourceKind } from './principal';
import { resourceUrl } from './resources';
import { SigningKeysService } from './signing-keys.service';

/** RFC 9068 media type of JWT access tokens; verification insists on it, so no other JWT passes as one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface AccessTokenRequest {
  /** The directory user the token acts for, or the client itself. */
  subject: string;
  clientId: string;
  scopes: readonly string[];
  resource: ResourceKind;
  lifetimeSeconds: number;
  /** The grant (refresh-token family) the token belongs to: revoking it stops the token. */
  grantId?: string;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresIn: number;
  scope: string;
  audience: string;
}

/**
 * Mints Roster's access tokens. Every grant (JWT bearer and ID-JAG, client credentials,
 * authorization code, refresh token) ends here, so the claims and signing stay in one place.
 */
@Injectable()
export class AccessTokensService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: SigningKeysService,
  ) {}

  async issue(request: AccessTokenRequest): Promise<IssuedAccessToken> {
    const signer = await this.keys.activeSigner();
    const now = Math.floor(Date.now() / 1000);
    const jti = randomUUID();
    const audience = resourceUrl(this.config, request.resource);
    const scope = request.scopes.join(' ');
    const token = await new SignJWT({
      client_id: request.clientId,
      scope,
      ...(request.grantId ? { gid: request.grantId } : {}),
    })
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.config.publicUrl)
      .setSubject(request.subject)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + request.lifetimeSeconds)
      .setJti(jti)
      .sign(signer.key);
    return { token, jti, expiresIn: request.lifetimeSeconds, scope, audience };
  }
}
