import { Inject, Injectable } from '@nestjs/common';
import { OAuthClientRecord } from '@roster/db';
import { APP_CONFIG, AppConfig } from '../../config';
import { OAuthClientsService } from '../clients.service';
import { ClientMetadataError, ClientMetadataService } from './client-metadata.service';
import { DOCS_CLIENT_ID, docsClient } from './docs-client';

export type ClientLookup = { client: OAuthClientRecord } | { error: string };

/**
 * Finds the client a request names: a registered one (by an administrator or through dynamic
 * registration, unless expired), one described by its client ID metadata document, or the API
 * documentation page's built-in public client (`roster-api-docs`).
 */
@Injectable()
export class ClientDirectory {
  constructor(
    private readonly clients: OAuthClientsService,
    private readonly documents: ClientMetadataService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async lookup(clientId: string): Promise<ClientLookup> {
    if (clientId === DOCS_CLIENT_ID) {
      return { client: docsClient(this.config) };
    }
    if (this.documents.isDocumentUrl(clientId)) {
      try {
        return { client: await this.documents.resolve(clientId) };
      } catch (error) {
        if (error instanceof ClientMetadataError) {
          return { error: error.message };
        }
        throw error;
      }
    }
    const client = clientId.length <= 200 ? await this.clients.find(clientId) : undefined;
    return client ? { client } : { error: 'No client with this client_id is registered (or it has expired).' };
  }

  async find(clientId: string): Promise<OAuthClientRecord | undefined> {
    const found = await this.lookup(clientId);
    return 'client' in found ? found.client : undefined;
  }
}
