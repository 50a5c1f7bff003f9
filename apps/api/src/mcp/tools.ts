import type { CallToolResult, McpServer, ToolAnnotations } from '@modelcontextprotocol/server';
import * as z from 'zod';
import { DEFAULT_PAGE, MAX_PAGE } from './bounds';
import { McpCaller } from './mcp-caller';
import { McpDirectory } from './mcp-directory';
import { McpRateLimiter } from './mcp-rate-limiter';
import { toolError, toolResult } from './tool-results';
import { Metrics } from '../ops/metrics';

/** What tools need besides their arguments; built per request. */
export interface ToolContext {
  caller: McpCaller;
  directory: McpDirectory;
  limiter: McpRateLimiter;
  /** Tool calls by tool and outcome (roster_mcp_tool_calls_total). */
  metrics?: Metrics;
}

type Doc = Record<string, unknown>;

const READ: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

function write(destructive: boolean, idempotent: boolean): ToolAnnotations {
  return { readOnlyHint: false, destructiveHint: destructive, idempotentHint: idempotent, openWorldHint: false };
}

// Ids are UUIDs (any version, as the SCIM API accepts them); a malformed one is refused before any query runs.
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const uuid = z.string().regex(UUID, 'must be a UUID');
const id = (what: string) => uuid.describe(`The ${what}'s id (a UUID).`);
const limit = z
  .number()
  .int()
  .min(1)
  .max(MAX_PAGE)
  .default(DEFAULT_PAGE)
  .describe(`Items per page, at most ${MAX_PAGE}.`);
const cursor = z
  .string()
  .min(1)
  .max(2048)
  .optional()
  .describe('nextCursor from the previous page of the same call; omit for the first page.');
const ifMatch = z
  .string()
  .max(64)
  .optional()
  .describe(
    'The etag (e.g. W/"3") the change is based on; the call fails if the resource changed since. Omit to skip the check.',
  );
const memberIds = z.array(uuid).min(1).max(MAX_PAGE).describe(`Ids of users or groups, at most ${MAX_PAGE} per call.`);
const attributes = z
  .array(z.string().min(1).max(200))
  .max(50)
  .optional()
  .describe('SCIM attributes to return (e.g. ["userName","emails","title"]); omit for the default set.');

const anyObject = z.record(z.string(), z.unknown());
const etag = z.string().describe('Version of the resource; pass it as if_match to a later change.');
const notes = z.array(z.string()).optional().describe('Values cut to keep the result small.');
const userSummary = z.object({
  id: z.string(),
  userName: z.string(),
  displayName: z.string().optional(),
  name: z.string().optional(),
  email: z.string().optional(),
  title: z.string().optional(),
  active: z.boolean(),
  etag: z.string().optional(),
});
const groupSummary = z.object({
  id: z.string(),
  displayName: z.string(),
  externalId: z.string().optional(),
  lastModified: z.string().optional(),
  etag: z.string().optional(),
});
const member = z.object({
  id: z.string(),
  type: z.enum(['User', 'Group']),
  display: z.string().optional(),
  $ref: z.string(),
});
const userResult = z.object({ user: anyObject, etag, truncated: notes });
const groupResult = z.object({ group: groupSummary, etag, memberCount: z.number().int() });

/**
 * Calls `run` with the per-token rate limit applied; any failure becomes an `isError` result.
 * Validation of the arguments happens before, in the SDK, against each tool's zod schema.
 */
async function call(context: ToolContext, tool: string, run: () => Promise<Doc>): Promise<CallToolResult> {
  try {
    await context.limiter.hit(context.caller.key);
    const result = toolResult(await run());
    context.metrics?.mcpToolCalls.inc({ tool, outcome: 'ok' });
    return result;
  } catch (error) {
    context.metrics?.mcpToolCalls.inc({ tool, outcome: 'tool_error' });
    return toolError(error, tool);
  }
}

/** Directory reads, for tokens with scim.read. */
export function registerReadTools(server: McpServer, context: ToolContext): void {
  const { directory } = context;

  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description:
        'Describes the credential this assistant uses: its kind, subject, OAuth client, scopes (scim.read lets it read, scim.write lets it change the directory) and the directory user it acts as, if any.',
      inputSchema: z.object({}),
      outputSchema: z.object({
        kind: z.string(),
        subject: z.string(),
        clientId: z.string().optional(),
        scopes: z.array(z.string()),
        user: userSummary.nullable(),
      }),
      annotations: READ,
    },
    () => call(context, 'whoami', () => directory.whoami(context.caller)),
  );

  server.registerTool(
    'search_users',
    {
      title: 'Search users',
      description:
        'Finds users by free text (matched, case-insensitively, inside userName, displayName, given, family and formatted name and email addresses) and/or a SCIM filter such as `active eq false` or `title co "engineer"`. Both together must match. Without either it lists everyone. Results are sorted by userName and paged: pass nextCursor back to continue.',
      inputSchema: z.object({
        query: z.string().max(200).optional().describe('Free text, e.g. "jensen" or "@example.com".'),
        filter: z
          .string()
          .max(2000)
          .optional()
          .describe('A SCIM filter (RFC 7644 §3.4.2.2), e.g. emails.value ew "@example.com" and active eq true.'),
        attributes,
        cursor,
        limit,
      }),
      outputSchema: z.object({
        totalResults: z.number().int(),
        users: z.array(anyObject).describe('User summaries, or the requested attributes of each user.'),
        nextCursor: z.string().optional(),
        truncated: notes,
      }),
      annotations: READ,
    },
    (args) => call(context, 'search_users', () => directory.searchUsers(args)),
  );

  server.registerTool(
    'get_user',
    {
      title: 'Get a user',
      description:
        'Reads one user, by id or by exact userName, with all attributes (or the requested ones) and its etag. Group memberships are listed by list_user_groups.',
      inputSchema: z
        .object({
          id: id('user').optional(),
          userName: z.string().min(1).max(256).optional().describe('The exact userName (case-insensitive).'),
          attributes,
        })
        .refine((a) => (a.id === undefined) !== (a.userName === undefined), {
          message: 'Give either id or userName, not both.',
        }),
      outputSchema: userResult,
      annotations: READ,
    },
    (args) => call(context, 'get_user', () => directory.getUser(args)),
  );

  server.registerTool(
    'list_user_groups',
    {
      title: "List a user's groups",
      description:
        'Lists the groups a user belongs to, directly or through nested groups (membership "direct" or "indirect"), paged.',
      inputSchema: z.object({ user_id: id('user'), cursor, limit }),
      outputSchema: z.object({
        userId: z.string(),
        totalGroups: z.number().int(),
        groups: z.array(z.object({ id: z.string(), displayName: z.string().optional(), membership: z.string() })),
        nextCursor: z.string().optional(),
      }),
      annotations: READ,
    },
    (args) =>
      call(context, 'list_user_groups', () =>
        directory.listUserGroups({ userId: args.user_id, cursor: args.cursor, limit: args.limit }),
      ),
  );

  server.registerTool(
    'search_groups',
    {
      title: 'Search groups',
      description:
        'Finds groups by free text in displayName and/or a SCIM filter (e.g. externalId eq "sales"). Sorted by displayName, paged with nextCursor. Members are not included: use get_group or list_group_members.',
      inputSchema: z.object({
        query: z.string().max(200).optional().describe('Free text matched inside displayName.'),
        filter: z.string().max(2000).optional().describe('A SCIM filter over group attributes.'),
        cursor,
        limit,
      }),
      outputSchema: z.object({
        totalResults: z.number().int(),
        groups: z.array(groupSummary),
        nextCursor: z.string().optional(),
        truncated: notes,
      }),
      annotations: READ,
    },
    (args) => call(context, 'search_groups', () => directory.searchGroups(args)),
  );

  server.registerTool(
    'get_group',
    {
      title: 'Get a group',
      description:
        'Reads one group, by id or exact displayName: its attributes, etag, member count and the first members. Continue with list_group_members and nextMemberCursor; groups can have hundreds of thousands of members.',
      inputSchema: z
        .object({
          id: id('group').optional(),
          displayName: z.string().min(1).max(256).optional().describe('The exact displayName (case-insensitive).'),
          member_limit: z.number().int().min(0).max(MAX_PAGE).default(DEFAULT_PAGE).describe('Members to include.'),
        })
        .refine((a) => (a.id === undefined) !== (a.displayName === undefined), {
          message: 'Give either id or displayName, not both.',
        }),
      outputSchema: z.object({
        group: groupSummary,
        etag,
        memberCount: z.number().int(),
        members: z.array(member),
        nextMemberCursor: z.string().optional(),
      }),
      annotations: READ,
    },
    (args) =>
      call(context, 'get_group', () =>
        directory.getGroup({ id: args.id, displayName: args.displayName, memberLimit: args.member_limit }),
      ),
  );

  server.registerTool(
    'list_group_members',
    {
      title: 'List group members',
      description: 'Lists the direct members (users and nested groups) of a group, in pages, with the total count.',
      inputSchema: z.object({ group_id: id('group'), cursor, limit }),
      outputSchema: z.object({
        groupId: z.string(),
        memberCount: z.number().int(),
        members: z.array(member),
        nextCursor: z.string().optional(),
      }),
      annotations: READ,
    },
    (args) =>
      call(context, 'list_group_members', () =>
        directory.listGroupMembers({ groupId: args.group_id, cursor: args.cursor, limit: args.limit }),
      ),
  );
}

/** Directory changes, for tokens with scim.write; each goes through the same services as the REST API. */
export function registerWriteTools(server: McpServer, context: ToolContext): void {
  const { directory } = context;

  server.registerTool(
    'create_user',
    {
      title: 'Create a user',
      description:
        'Creates a user (active unless active is false). userName must be unique. Other SCIM attributes (phoneNumbers, addresses, the enterprise extension as "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {...}) go in attributes.',
      inputSchema: z.object({
        userName: z.string().min(1).max(256),
        givenName: z.string().max(256).optional(),
        familyName: z.string().max(256).optional(),
        displayName: z.string().max(256).optional(),
        email: z.string().max(320).optional().describe('Primary work email address.'),
        title: z.string().max(256).optional(),
        externalId: z.string().max(256).optional(),
        active: z.boolean().optional(),
        attributes: anyObject.optional().describe('Further SCIM User attributes, as in a SCIM create request.'),
      }),
      outputSchema: userResult,
      annotations: write(false, false),
    },
    (args) => call(context, 'create_user', () => directory.createUser(args)),
  );

  server.registerTool(
    'update_user',
    {
      title: 'Update a user',
      description:
        'Changes a user with SCIM PATCH operations (RFC 7644 §3.5.2), e.g. [{"op":"replace","path":"title","value":"Director"}] or [{"op":"remove","path":"phoneNumbers[type eq \\"fax\\"]"}]. Validation, immutability and uniqueness rules are those of the SCIM API.',
      inputSchema: z.object({
        id: id('user'),
        operations: z
          .array(
            z.object({
              op: z.enum(['add', 'replace', 'remove']),
              path: z
                .string()
                .max(500)
                .optional()
                .describe('Attribute path; omit to add or replace several attributes given as an object value.'),
              value: z.unknown().optional(),
            }),
          )
          .min(1)
          .max(50),
        if_match: ifMatch,
      }),
      outputSchema: userResult,
      annotations: write(true, false),
    },
    (args) =>
      call(context, 'update_user', () =>
        directory.patchUser(
          args.id,
          args.operations.map((o) => ({
            op: o.op,
            ...(o.path ? { path: o.path } : {}),
            ...(o.value !== undefined ? { value: o.value } : {}),
          })),
          args.if_match,
        ),
      ),
  );

  server.registerTool(
    'deactivate_user',
    {
      title: 'Deactivate a user',
      description:
        'Sets active to false: the account stays, with its group memberships, but connected applications stop letting it sign in. Undo with reactivate_user.',
      inputSchema: z.object({ id: id('user'), if_match: ifMatch }),
      outputSchema: z.object({ user: userSummary, etag }),
      annotations: write(true, true),
    },
    (args) => call(context, 'deactivate_user', () => directory.setActive(args.id, false, args.if_match)),
  );

  server.registerTool(
    'reactivate_user',
    {
      title: 'Reactivate a user',
      description: 'Sets active to true again for a deactivated user.',
      inputSchema: z.object({ id: id('user'), if_match: ifMatch }),
      outputSchema: z.object({ user: userSummary, etag }),
      annotations: write(false, true),
    },
    (args) => call(context, 'reactivate_user', () => directory.setActive(args.id, true, args.if_match)),
  );

  server.registerTool(
    'create_group',
    {
      title: 'Create a group',
      description: 'Creates a group with a unique displayName, optionally with first members (users or groups, by id).',
      inputSchema: z.object({
        displayName: z.string().min(1).max(256),
        externalId: z.string().max(256).optional(),
        member_ids: memberIds.optional(),
      }),
      outputSchema: groupResult,
      annotations: write(false, false),
    },
    (args) =>
      call(context, 'create_group', () =>
        directory.createGroup({
          displayName: args.displayName,
          externalId: args.externalId,
          memberIds: args.member_ids,
        }),
      ),
  );

  server.registerTool(
    'add_group_members',
    {
      title: 'Add group members',
      description: 'Adds users or groups (by id) to a group; ids already in it are left as they are.',
      inputSchema: z.object({ group_id: id('group'), member_ids: memberIds, if_match: ifMatch }),
      outputSchema: groupResult,
      annotations: write(false, true),
    },
    (args) =>
      call(context, 'add_group_members', () =>
        directory.changeMembers(args.group_id, args.member_ids, 'add', args.if_match),
      ),
  );

  server.registerTool(
    'remove_group_members',
    {
      title: 'Remove group members',
      description: 'Removes users or groups (by id) from a group; ids that are not members are ignored.',
      inputSchema: z.object({ group_id: id('group'), member_ids: memberIds, if_match: ifMatch }),
      outputSchema: groupResult,
      annotations: write(true, true),
    },
    (args) =>
      call(context, 'remove_group_members', () =>
        directory.changeMembers(args.group_id, args.member_ids, 'remove', args.if_match),
      ),
  );
}
