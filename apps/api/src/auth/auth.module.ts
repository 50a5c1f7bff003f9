import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { BrowserSessionsRepository, RateLimitsRepository, RolesRepository, UsedAssertionsRepository } from '@roster/db';
import { UsersModule } from '../users/users.module';
import { AccessTokenBearerStrategy, AccessTokenJwtStrategy } from './access-token.strategy';
import { AdminTokenService } from './admin-token.service';
import { ApiTokensService } from './api-tokens.service';
import { AuthCoreModule } from './auth-core.module';
import { AuthGuard } from './auth.guard';
import { BearerLimits } from './bearer-limits.service';
import { LoginController } from './login/login.controller';
import { OidcUpstreamService } from './login/oidc-upstream.service';
import { RolesService } from './login/roles.service';
import { SessionService } from './login/session.service';
import { SignInService } from './login/sign-in.service';
import { UserMatcher } from './login/user-matcher';
import { GrantsAdminController } from './management/grants.controller';
import { AuthorizeController } from './oauth/authorize.controller';
import { AuthorizeService } from './oauth/authorize.service';
import { ClientDirectory } from './oauth/client-directory.service';
import { ClientMetadataService } from './oauth/client-metadata.service';
import { RegistrationController } from './oauth/registration.controller';
import { RegistrationService } from './oauth/registration.service';
import { RevocationService } from './oauth/revocation.service';
import { ExternalJwtStrategy } from './external-jwt.strategy';
import {
  ApiTokensAdminController,
  ClientsAdminController,
  SigningKeysAdminController,
} from './management/management.controller';
import { OAuthMetadataController } from './oauth/metadata.controller';
import { OAuthMetadataService } from './oauth/metadata.service';
import { TokenRateLimiter } from './oauth/rate-limiter.service';
import { TokenController } from './oauth/token.controller';
import { TokenService } from './oauth/token.service';
import { BEARER_STRATEGIES, BearerStrategy } from './principal';
import { LocalCredentialService } from '../ops/local-credential.service';
import { SetReceiversService } from '../events/sets/set-receivers.service';
import { SetsCoreModule } from '../events/sets/sets-core.module';

/**
 * Authentication for the HTTP API: the global guard and its bearer strategies; the OAuth
 * authorization server (sign-in and consent pages, browser sessions, authorization, token,
 * registration and revocation endpoints, discovery documents); the /admin management API.
 */
@Module({
  imports: [AuthCoreModule, UsersModule, SetsCoreModule],
  controllers: [
    TokenController,
    OAuthMetadataController,
    AuthorizeController,
    RegistrationController,
    LoginController,
    ClientsAdminController,
    ApiTokensAdminController,
    SigningKeysAdminController,
    GrantsAdminController,
  ],
  providers: [
    AdminTokenService,
    LocalCredentialService,
    AccessTokenJwtStrategy,
    AccessTokenBearerStrategy,
    ExternalJwtStrategy,
    UsedAssertionsRepository,
    RateLimitsRepository,
    TokenRateLimiter,
    TokenService,
    OAuthMetadataService,
    BearerLimits,
    BrowserSessionsRepository,
    RolesRepository,
    SessionService,
    RolesService,
    SignInService,
    UserMatcher,
    OidcUpstreamService,
    ClientMetadataService,
    ClientDirectory,
    AuthorizeService,
    RegistrationService,
    RevocationService,
    {
      provide: BEARER_STRATEGIES,
      // Cheapest and most specific first: each strategy answers null for tokens that are not its kind.
      useFactory: (
        admin: AdminTokenService,
        apiTokens: ApiTokensService,
        accessTokens: AccessTokenBearerStrategy,
        external: ExternalJwtStrategy,
        local: LocalCredentialService,
        setReceivers: SetReceiversService,
      ): BearerStrategy[] => [admin, local, apiTokens, setReceivers, accessTokens, external],
      inject: [
        AdminTokenService,
        ApiTokensService,
        AccessTokenBearerStrategy,
        ExternalJwtStrategy,
        LocalCredentialService,
        SetReceiversService,
      ],
    },
    // One instance, also reachable by its class: the early-authentication hook (common/early-auth.ts) uses it.
    AuthGuard,
    { provide: APP_GUARD, useExisting: AuthGuard },
  ],
  // Sessions and roles are what the admin console will sign in with.
  exports: [AdminTokenService, LocalCredentialService, AuthCoreModule, SessionService, RolesService],
})
export class AuthModule {}
