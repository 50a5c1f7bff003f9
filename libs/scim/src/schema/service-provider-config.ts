import { SERVICE_PROVIDER_CONFIG_SCHEMA } from './definitions';
import { joinUrl } from './registry';

/** RFC 7643 §5 `authenticationSchemes` entry. */
export interface AuthenticationScheme {
  /** `oauthbearertoken`, `oauth2`, `httpbasic`, ... */
  type: string;
  name: string;
  description: string;
  specUri?: string;
  documentationUri?: string;
  primary?: boolean;
}

/** RFC 9865 §5: how the service pages list responses. */
export interface PaginationFeatures {
  cursor: boolean;
  index: boolean;
  defaultPaginationMethod?: 'cursor' | 'index';
  defaultPageSize?: number;
  maxPageSize?: number;
  /** Seconds a cursor stays valid. */
  cursorTimeout?: number;
}

/** What the running service supports; the app builds it from its configuration. */
export interface ServiceProviderFeatures {
  documentationUri?: string;
  patch: boolean;
  bulk: { supported: boolean; maxOperations: number; maxPayloadSize: number };
  filter: { supported: boolean; maxResults: number };
  changePassword: boolean;
  sort: boolean;
  etag: boolean;
  pagination?: PaginationFeatures;
  authenticationSchemes: AuthenticationScheme[];
  securityEvents?: SecurityEventsFeatures;
}

/**
 * draft-ietf-scim-events-16 §4: the SCIM security events the service issues (informational:
 * receivers are configured out of band) and whether it answers requests asynchronously.
 */
export interface SecurityEventsFeatures {
  asyncRequest: 'none' | 'long' | 'request';
  eventUris: string[];
}

export interface ServiceProviderConfigResource {
  schemas: string[];
  documentationUri?: string;
  patch: { supported: boolean };
  bulk: { supported: boolean; maxOperations: number; maxPayloadSize: number };
  filter: { supported: boolean; maxResults: number };
  changePassword: { supported: boolean };
  sort: { supported: boolean };
  etag: { supported: boolean };
  pagination?: PaginationFeatures;
  authenticationSchemes: AuthenticationScheme[];
  securityEvents?: SecurityEventsFeatures;
  meta: { resourceType: 'ServiceProviderConfig'; location: string };
}

// Optional keys are copied only when set: an `undefined` must never reach the wire, where some
// serialisers turn it into null, and only the documented keys go out.
function pagination(p: PaginationFeatures): PaginationFeatures {
  return {
    cursor: p.cursor,
    index: p.index,
    ...(p.defaultPaginationMethod !== undefined ? { defaultPaginationMethod: p.defaultPaginationMethod } : {}),
    ...(p.defaultPageSize !== undefined ? { defaultPageSize: p.defaultPageSize } : {}),
    ...(p.maxPageSize !== undefined ? { maxPageSize: p.maxPageSize } : {}),
    ...(p.cursorTimeout !== undefined ? { cursorTimeout: p.cursorTimeout } : {}),
  };
}

function authenticationScheme(s: AuthenticationScheme): AuthenticationScheme {
  return {
    type: s.type,
    name: s.name,
    description: s.description,
    ...(s.specUri !== undefined ? { specUri: s.specUri } : {}),
    ...(s.documentationUri !== undefined ? { documentationUri: s.documentationUri } : {}),
    ...(s.primary !== undefined ? { primary: s.primary } : {}),
  };
}

/**
 * The RFC 7643 §5 ServiceProviderConfig document. Every block is always present, `bulk` with its
 * limits even when unsupported, because Okta's spec test requires each of them to be non-empty.
 */
export function buildServiceProviderConfig(
  features: ServiceProviderFeatures,
  baseUrl: string,
): ServiceProviderConfigResource {
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    ...(features.documentationUri !== undefined ? { documentationUri: features.documentationUri } : {}),
    patch: { supported: features.patch },
    bulk: {
      supported: features.bulk.supported,
      maxOperations: features.bulk.maxOperations,
      maxPayloadSize: features.bulk.maxPayloadSize,
    },
    filter: { supported: features.filter.supported, maxResults: features.filter.maxResults },
    changePassword: { supported: features.changePassword },
    sort: { supported: features.sort },
    etag: { supported: features.etag },
    ...(features.pagination ? { pagination: pagination(features.pagination) } : {}),
    authenticationSchemes: features.authenticationSchemes.map(authenticationScheme),
    ...(features.securityEvents
      ? {
          securityEvents: {
            asyncRequest: features.securityEvents.asyncRequest,
            eventUris: [...features.securityEvents.eventUris],
          },
        }
      : {}),
    meta: { resourceType: 'ServiceProviderConfig', location: joinUrl(baseUrl, '/ServiceProviderConfig') },
  };
}
