import { Inject, Injectable, Logger } from '@nestjs/common';
import { OAuthClientRecord } from '@roster/db';
import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { APP_CONFIG, AppConfig } from '../../config';
import { AUTHORIZATION_CODE_GRANT, REFRESH_TOKEN_GRANT } from '../clients.service';
import { redirectUriProblem } from './redirect-uris';

const MAX_BYTES = 64 * 1024;
const TIMEOUT_MS = 5_000;
const DEFAULT_TTL_MS = 5 * 60_000;
const MAX_TTL_MS = 24 * 3600_000;
const MAX_CACHED = 1_000;

/** Why a client ID metadata document was not accepted; shown on the error page. */
export class ClientMetadataError extends Error {}

/** Addresses a metadata-document fetch may not reach: private, loopback, link-local, reserved. */
const FORBIDDEN = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  FORBIDDEN.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  FORBIDDEN.addSubnet(net, prefix, 'ipv6');
}

export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) {
    return true;
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) {
    return FORBIDDEN.check(mapped[1], 'ipv4');
  }
  return FORBIDDEN.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): a client whose
 * client_id is an https URL with a path is described by the JSON document at that URL. Fetched
 * with a timeout and a size limit, without following redirects, never from private, loopback or
 * link-local addresses (checked on the address actually connected to, so DNS rebinding cannot
 * slip past), and cached as its Cache-Control says (5 minutes by default, a day at most).
 */
@Injectable()
export class ClientMetadataService {
  private readonly logger = new Logger('ClientMetadata');
  private readonly cache = new Map<string, { client: OAuthClientRecord; until: number }>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Whether `clientId` names a metadata document (and documents are enabled). */
  isDocumentUrl(clientId: string): boolean {
    if (!this.config.auth.clientMetadataDocuments || clientId.length > 2000) {
      return false;
    }
    let url: URL;
    try {
      url = new URL(clientId);
    } catch {
      return false;
    }
    const relaxed = this.config.auth.cimdAllowPrivateAddresses && url.protocol === 'http:';
    return (
      (url.protocol === 'https:' || relaxed) &&
      url.pathname.length > 1 &&
      !url.hash &&
      !url.username &&
      !url.password &&
      !clientId.includes('#')
    );
  }

  async resolve(clientId: string): Promise<OAuthClientRecord> {
    const cached = this.cache.get(clientId);
    if (cached && cached.until > Date.now()) {
      return cached.client;
    }
    const { body, ttlMs } = await this.fetch(new URL(clientId));
    const client = this.toClient(clientId, body);
    this.cache.delete(clientId);
    if (ttlMs > 0) {
      if (this.cache.size >= MAX_CACHED) {
        this.cache.delete(this.cache.keys().next().value as string);
      }
      this.cache.set(clientId, { client, until: Date.now() + ttlMs });
    }
    return client;
  }

  private toClient(clientId: string, text: string): OAuthClientRecord {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new ClientMetadataError('The client metadata document is not JSON.');
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw new ClientMetadataError('The client metadata document is not a JSON object.');
    }
    const meta = doc as Record<string, unknown>;
    if (meta.client_id !== clientId) {
      throw new ClientMetadataError('The client metadata document names another client_id than its own URL.');
    }
    const uris = meta.redirect_uris;
    if (!Array.isArray(uris) || !uris.length || uris.length > 20) {
      throw new ClientMetadataError('The client metadata document must list 1 to 20 redirect_uris.');
    }
    const problem = uris.map(redirectUriProblem).find((p) => p !== undefined);
    if (problem) {
      throw new ClientMetadataError(`The client metadata document has a bad redirect URI: ${problem}.`);
    }
    const method = meta.token_endpoint_auth_method ?? 'none';
    if (method !== 'none') {
      throw new ClientMetadataError(
        'Only public clients (token_endpoint_auth_method none) may use a metadata document.',
      );
    }
    const name = typeof meta.client_name === 'string' && meta.client_name.trim() ? meta.client_name.trim() : clientId;
    return {
      id: clientId,
      name: name.slice(0, 200),
      grantTypes: [AUTHORIZATION_CODE_GRANT, REFRESH_TOKEN_GRANT],
      scope: 'scim.read scim.write',
      tokenEndpointAuthMethod: 'none',
      jwks: null,
      jwksUri: null,
      secretHash: null,
      created: new Date(),
      revokedAt: null,
      redirectUris: uris as string[],
      dynamic: true,
      lastUsedAt: new Date(),
      metadata: { source: 'client-id-metadata-document' },
    };
  }

  private fetch(url: URL): Promise<{ body: string; ttlMs: number }> {
    const allowPrivate = this.config.auth.cimdAllowPrivateAddresses;
    const lookup = (
      hostname: string,
      options: object,
      callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
    ): void => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) {
          callback(error, []);
          return;
        }
        const list = addresses;
        const bad = list.find((a) => isForbiddenAddress(a.address));
        if (!allowPrivate && (bad || !list.length)) {
          callback(Object.assign(new Error(`forbidden address ${bad?.address ?? ''}`), { code: 'EFORBIDDEN' }), []);
          return;
        }
        callback(null, list);
      });
    };
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (!allowPrivate && isIP(literal) && isForbiddenAddress(literal)) {
      return Promise.reject(
        new ClientMetadataError('The client metadata document is on a private, loopback or link-local address.'),
      );
    }
    return new Promise((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        url,
        { method: 'GET', headers: { accept: 'application/json' }, lookup, timeout: TIMEOUT_MS },
        (res: IncomingMessage) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(
              new ClientMetadataError(
                (res.statusCode ?? 0) >= 300 && (res.statusCode ?? 0) < 400
                  ? 'The client metadata document URL redirects; Roster does not follow redirects.'
                  : `The client metadata document answered HTTP ${res.statusCode ?? '?'}.`,
              ),
            );
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BYTES) {
              req.destroy();
              reject(new ClientMetadataError(`The client metadata document is larger than ${MAX_BYTES} bytes.`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => resolve({ body: Buffer.concat(chunks).toString('utf8'), ttlMs: ttlOf(res) }));
          res.on('error', () => reject(new ClientMetadataError('The client metadata document could not be read.')));
        },
      );
      req.on('timeout', () => {
        req.destroy();
        reject(new ClientMetadataError('The client metadata document did not arrive in time.'));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        this.logger.log({ url: url.href, err: error.message }, 'Could not fetch a client metadata document.');
        reject(
          new ClientMetadataError(
            error.code === 'EFORBIDDEN'
              ? 'The client metadata document is on a private, loopback or link-local address.'
              : 'The client metadata document could not be fetched.',
          ),
        );
      });
      req.end();
    });
  }
}

/** How long a response may be reused, from its Cache-Control (RFC 9111): no-store/no-cache mean not at all. */
function ttlOf(res: IncomingMessage): number {
  const header = String(res.headers['cache-control'] ?? '').toLowerCase();
  if (/\b(no-store|no-cache|private)\b/.test(header)) {
    return 0;
  }
  const maxAge = /\bmax-age=(\d+)/.exec(header);
  if (maxAge) {
    return Math.min(Number(maxAge[1]) * 1000, MAX_TTL_MS);
  }
  return DEFAULT_TTL_MS;
}
