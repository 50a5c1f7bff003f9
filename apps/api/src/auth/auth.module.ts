import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RateLimitsRepository, UsedAssertionsRepository } from '@roster/db';
import { UsersModule } from '../users/users.module';
import { AccessTokenBearerStrategy, AccessTokenJwtStrategy } from './access-token.strategy';
import { AdminTokenService } from './admin-token.service';
import { ApiTokensService } from './api-tokens.service';
import { AuthCoreModule } from './auth-core.module';
import { AuthGuard } from './auth.guard';
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

/**
 * Authentication for the HTTP API: the global guard and its bearer strategies, the token
 * endpoint, the OAuth discovery documents and the /admin management API.
 */
@Module({
  imports: [AuthCoreModule, UsersModule],
  controllers: [
    TokenController,
    OAuthMetadataController,
    ClientsAdminController,
    ApiTokensAdminController,
    SigningKeysAdminController,
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
    {
      provide: BEARER_STRATEGIES,
      // Cheapest and most specific first: each strategy answers null for tokens that are not its kind.
      useFactory: (
        admin: AdminTokenService,
        apiTokens: ApiTokensService,
        accessTokens: AccessTokenBearerStrategy,
        external: ExternalJwtStrategy,
        local: LocalCredentialService,
      ): BearerStrategy[] => [admin, local, apiTokens, accessTokens, external],
      inject: [
        AdminTokenService,
        ApiTokensService,
        AccessTokenBearerStrategy,
        ExternalJwtStrategy,
        LocalCredentialService,
      ],
    },
    // One instance, also reachable by its class: the early-authentication hook (common/early-auth.ts) uses it.
    AuthGuard,
    { provide: APP_GUARD, useExisting: AuthGuard },
  ],
  exports: [AdminTokenService, LocalCredentialService, AuthCoreModule],
})
export class AuthModule {}
