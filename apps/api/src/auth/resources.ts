import { AppConfig } from '../config';
import { ResourceKind } from './principal';

/** The resource identifier (RFC 8707) and token audience of each protected resource. */
export function resourceUrl(config: AppConfig, kind: ResourceKind): string {
  return kind === 'mcp' ? `${config.publicUrl}/v2/mcp` : `${config.publicUrl}/v2`;
}

/**
 * Where a resource's RFC 9728 metadata lives. The SCIM API's is the root document (what SCIM
 * challenges point to); the MCP endpoint's is path-aware, as MCP clients look it up.
 */
export function resourceMetadataUrl(config: AppConfig, kind: ResourceKind): string {
  return kind === 'mcp'
    ? `${config.publicUrl}/.well-known/oauth-protected-resource/v2/mcp`
    : `${config.publicUrl}/.well-known/oauth-protected-resource`;
}

/** The resource a `resource` parameter names: exact, or with one trailing slash (clients differ). */
export function resourceKindOf(config: AppConfig, value: string): ResourceKind | undefined {
  const normalised = value.endsWith('/') && !value.endsWith('//') ? value.slice(0, -1) : value;
  if (normalised === resourceUrl(config, 'scim')) {
    return 'scim';
  }
  if (normalised === resourceUrl(config, 'mcp')) {
    return 'mcp';
  }
  return undefined;
}

/**
 * The resource an assistant's authorization request names. Besides the two resources, Roster's
 * bare origin (`https://host` or `https://host/`, which claude.ai has been seen to send) means the
 * MCP endpoint: in this flow the MCP endpoint is what assistants are after.
 */
export function userResourceKindOf(config: AppConfig, value: string): ResourceKind | undefined {
  const normalised = value.endsWith('/') && !value.endsWith('//') ? value.slice(0, -1) : value;
  return normalised === config.publicUrl ? 'mcp' : resourceKindOf(config, value);
}

export function tokenEndpointUrl(config: AppConfig): string {
  return `${config.publicUrl}/v2/Login/Oauth2/Token`;
}
