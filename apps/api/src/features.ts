import { SCIM_EVENT_URIS, ServiceProviderFeatures } from '@roster/scim';
import { AppConfig } from './config';

/**
 * What this build of Roster implements. ServiceProviderConfig is rendered from this object,
 * and a contract test checks each flag against the server's behaviour, so flip a flag only in
 * the commit that makes it true.
 */
export function serviceFeatures(config: AppConfig): ServiceProviderFeatures {
  return {
    patch: true,
    bulk: { supported: true, maxOperations: config.bulk.maxOperations, maxPayloadSize: config.bulk.maxPayloadSize },
    filter: { supported: true, maxResults: config.filter.maxResults },
    changePassword: true,
    sort: true,
    etag: true,
    pagination: {
      cursor: true,
      index: true,
      defaultPaginationMethod: 'index',
      defaultPageSize: config.defaultPageSize,
      maxPageSize: config.filter.maxResults,
      cursorTimeout: 3600,
    },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description:
          'A bearer token in the Authorization header: an API token created by an administrator (what ' +
          'Entra ID and Okta call the secret token), an OAuth 2.0 access token from ' +
          `${config.publicUrl}/v2/Login/Oauth2/Token (client credentials or RFC 7523 JWT bearer), ` +
          'a token from a configured trusted issuer, or the admin token.',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        documentationUri: `${config.publicUrl}/docs`,
        primary: true,
      },
    ],
    documentationUri: `${config.publicUrl}/docs`,
    // SCIM security events by RFC 8936 poll (receivers: /admin/set-receivers); no asynchronous requests.
    securityEvents: { asyncRequest: 'none', eventUris: [...SCIM_EVENT_URIS] },
  };
}
