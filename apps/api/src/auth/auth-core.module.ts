import { Module } from '@nestjs/common';
import { ApiTokensRepository, OAuthClientsRepository, OAuthGrantsRepository, SigningKeysRepository } from '@roster/db';
import { AccessTokensService } from './access-tokens.service';
import { ApiTokensService } from './api-tokens.service';
import { OAuthClientsService } from './clients.service';
import { KeyEncryptionService } from './key-encryption.service';
import { UserGrantsService } from './management/user-grants.service';
import { GrantsService } from './oauth/grants.service';
import { SigningKeysService } from './signing-keys.service';

/**
 * Credentials and keys without HTTP: what the API and the command line share. It holds no
 * admin-token bootstrap, so that running the CLI first never generates an admin token that
 * nobody sees.
 */
@Module({
  providers: [
    KeyEncryptionService,
    SigningKeysRepository,
    SigningKeysService,
    OAuthClientsRepository,
    OAuthClientsService,
    ApiTokensRepository,
    ApiTokensService,
    AccessTokensService,
    OAuthGrantsRepository,
    GrantsService,
    UserGrantsService,
  ],
  exports: [
    KeyEncryptionService,
    SigningKeysService,
    OAuthClientsService,
    ApiTokensService,
    AccessTokensService,
    OAuthGrantsRepository,
    OAuthClientsRepository,
    GrantsService,
    UserGrantsService,
  ],
})
export class AuthCoreModule {}
