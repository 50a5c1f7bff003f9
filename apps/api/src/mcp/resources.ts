import {
  McpServer,
  ProtocolError,
  ProtocolErrorCode,
  ReadResourceResult,
  ResourceNotFoundError,
  ResourceTemplate,
} from '@modelcontextprotocol/server';
import { ScimError } from '@roster/scim';
import * as z from 'zod';
import { DiscoveryService } from '../discovery/discovery.service';
import { McpRateLimitError } from './mcp-rate-limiter';
import { ToolContext } from './tools';

/** Every resource URI Roster serves starts with this scheme; the README ("MCP") lists them. */
export const RESOURCE_SCHEME = 'roster';
const JSON_TYPE = 'application/json';
/** Discovery documents change only with a new release; clients of 2026-07-28 may cache them. */
const DISCOVERY_CACHE = { ttlMs: 3_600_000, cacheScope: 'public' as const };

function json(uri: string, value: unknown): ReadResourceResult {
  return { contents: [{ uri, mimeType: JSON_TYPE, text: JSON.stringify(value) }] };
}

/** SCIM discovery documents: needed to write correct filters and PATCH paths, readable by any token. */
export function registerDiscoveryResources(
  server: McpServer,
  discovery: DiscoveryService,
  schemas: readonly { id: string; name: string }[],
): void {
  server.registerResource(
    'service_provider_config',
    `${RESOURCE_SCHEME}://scim/ServiceProviderConfig`,
    {
      title: 'SCIM ServiceProviderConfig',
      description: 'What this SCIM service supports: PATCH, Bulk limits, filter limits, sorting, ETags, paging.',
      mimeType: JSON_TYPE,
      cacheHint: DISCOVERY_CACHE,
    },
    (uri) => json(uri.href, discovery.serviceProviderConfig()),
  );
  server.registerResource(
    'resource_types',
    `${RESOURCE_SCHEME}://scim/ResourceTypes`,
    {
      title: 'SCIM resource types',
      description: 'User and Group, with their schemas and extensions.',
      mimeType: JSON_TYPE,
      cacheHint: DISCOVERY_CACHE,
    },
    (uri) => json(uri.href, discovery.resourceTypes()),
  );
  for (const { id, name } of schemas) {
    server.registerResource(
      `schema_${id.split(':').slice(-2).join('_').toLowerCase()}`,
      `${RESOURCE_SCHEME}://scim/Schemas/${id}`,
      {
        title: `SCIM schema: ${name}`,
        description: `The attributes of ${id}: types, mutability, uniqueness, sub-attributes.`,
        mimeType: JSON_TYPE,
        cacheHint: DISCOVERY_CACHE,
      },
      (uri) => json(uri.href, discovery.schema(id)),
    );
  }
}

/** One user or group by id, the same content get_user / get_group return; needs scim.read. */
export function registerDirectoryTemplates(server: McpServer, context: ToolContext): void {
  const read = async (uri: URL, load: () => Promise<Record<string, unknown>>): Promise<ReadResourceResult> => {
    try {
      await context.limiter.hit(context.caller.key);
      return json(uri.href, await load());
    } catch (error) {
      if (error instanceof ScimError && (error.status === 404 || error.status === 400)) {
        throw new ResourceNotFoundError(uri.href, error.detail);
      }
      if (error instanceof McpRateLimitError) {
        throw new ProtocolError(ProtocolErrorCode.InvalidRequest, error.message, {
          retryAfterSeconds: error.retryAfterSeconds,
        });
      }
      throw error;
    }
  };
  const variable = (value: string | string[]): string => (Array.isArray(value) ? (value[0] ?? '') : value);

  server.registerResource(
    'user',
    new ResourceTemplate(`${RESOURCE_SCHEME}://users/{id}`, { list: undefined }),
    { title: 'A user', description: 'A user by id, as get_user returns it.', mimeType: JSON_TYPE },
    (uri, variables) => read(uri, () => context.directory.getUser({ id: variable(variables.id) })),
  );
  server.registerResource(
    'group',
    new ResourceTemplate(`${RESOURCE_SCHEME}://groups/{id}`, { list: undefined }),
    {
      title: 'A group',
      description: 'A group by id with its member count and first members, as get_group returns it.',
      mimeType: JSON_TYPE,
    },
    (uri, variables) => read(uri, () => context.directory.getGroup({ id: variable(variables.id), memberLimit: 25 })),
  );
}

/** Ready-made instructions that chain the tools for common directory work. */
export function registerPrompts(server: McpServer, canWrite: boolean): void {
  server.registerPrompt(
    'access_review',
    {
      title: 'Access review of a group',
      description: 'Reviews who has access through a group: every member, their status, and what looks wrong.',
      argsSchema: z.object({
        group: z.string().min(1).max(256).describe('The group: its id or its exact displayName.'),
      }),
    },
    ({ group }) => ({
      description: `Access review of ${group}`,
      messages: [
        {
          role: 'user',
          content: {
            type: 'text',
            text: [
              `Run an access review of the group "${group}" in the Roster directory, using the Roster tools.`,
              '',
              `1. Read the group with get_group (use "${group}" as its id if it is a UUID, otherwise as its displayName). Note its member count and etag.`,
              '2. Read every member with list_group_members, following nextCursor until it is absent.',
              '3. Find members that should probably not have access: search_users with the filter',
              '   groups.value eq "<group id>" and active eq false lists deactivated users who are still members',
              '   (nested groups included). For the remaining user members, read get_user where you need title,',
              '   department or manager. For nested groups, say so and list their members as well.',
              '4. Report: a table of members (userName, name, title, active, direct or through which nested group),',
              '   then findings: deactivated accounts, nested groups, accounts without manager or email, anything unusual.',
              canWrite
                ? '5. Change nothing on your own. Propose removals; call remove_group_members only after the user confirms, with the etag from step 1 as if_match.'
                : '5. This is a read-only review: propose changes, do not try to make them.',
            ].join('\n'),
          },
        },
      ],
    }),
  );

  if (!canWrite) {
    return;
  }
  server.registerPrompt(
    'offboard_user',
    {
      title: 'Offboard a user',
      description: 'Deactivates a leaving user and removes their direct group memberships, after confirmation.',
      argsSchema: z.object({
        user: z.string().min(1).max(256).describe('The user: their id or their exact userName.'),
      }),
    },
    ({ user }) => ({
      description: `Offboarding of ${user}`,
      messages: [
        {
          role: 'user',
          content: {
            type: 'text',
            text: [
              `Offboard the user "${user}" in the Roster directory, using the Roster tools.`,
              '',
              `1. Read the user with get_user (by id if "${user}" is a UUID, otherwise by userName) and note the etag.`,
              '2. List their groups with list_user_groups (follow nextCursor). Only "direct" memberships can be removed here.',
              '3. Show the user, their groups and the plan, and ask for confirmation before changing anything.',
              '4. After confirmation: deactivate_user with the etag as if_match, then remove_group_members for each direct group.',
              '5. Report what changed, and anything that failed with the error the tool gave.',
            ].join('\n'),
          },
        },
      ],
    }),
  );
}
