import type { McpServer } from '@modelcontextprotocol/server';
import { ScimError } from '@roster/scim';
import * as z from 'zod';
import { EVENT_TYPES, EventsService } from '../events/events.service';
import { toolError, toolResult } from './tool-results';
import { ToolContext } from './tools';

/** Events one call returns at most; paths only, so each one stays small. */
export const MAX_RECENT_CHANGES = 50;
const MAX_PATHS = 20;

/**
 * `recent_changes`: what changed in the directory, newest first, with who changed it, for tokens
 * with scim.read. Attribute paths only (no values, addresses or User-Agents): the full record is
 * the administrator's feed, GET /v2/Events.
 */
export function registerRecentChangesTool(server: McpServer, context: ToolContext, events: EventsService): void {
  server.registerTool(
    'recent_changes',
    {
      title: 'Recent changes',
      description:
        'Lists recent changes to users and groups, newest first: the event type (user.created, user.deactivated, group.members_added, ...), the resource, the attribute paths that changed and who made the change. Filter by resource_id or types; page back in time with nextCursor.',
      inputSchema: z.object({
        resource_id: z
          .string()
          .regex(/^[0-9a-fA-F-]{36}$/, 'must be a UUID')
          .optional()
          .describe('Only the changes of this user or group.'),
        types: z.array(z.enum(EVENT_TYPES)).max(EVENT_TYPES.length).optional().describe('Only these event types.'),
        cursor: z
          .string()
          .regex(/^[0-9]{1,18}$/)
          .optional()
          .describe('nextCursor of the previous call.'),
        limit: z.number().int().min(1).max(MAX_RECENT_CHANGES).default(20).describe(`At most ${MAX_RECENT_CHANGES}.`),
      }),
      outputSchema: z.object({
        changes: z.array(z.record(z.string(), z.unknown())),
        nextCursor: z.string().optional(),
      }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (args) => {
      try {
        await context.limiter.hit(context.caller.key);
        const records = await events.list({
          after: args.cursor ? BigInt(args.cursor) : 9223372036854775807n,
          limit: args.limit,
          descending: true,
          ...(args.types?.length ? { types: args.types } : {}),
          ...(args.resource_id ? { resourceId: args.resource_id.toLowerCase() } : {}),
        });
        const changes = records.map((r) => {
          const paths = (r.changes as { path?: unknown }[]).map((c) => String(c.path));
          return {
            id: r.seq.toString(),
            type: r.type,
            time: r.time.toISOString(),
            resource: { type: r.resourceType, id: r.resourceId },
            paths: paths.slice(0, MAX_PATHS),
            ...(paths.length > MAX_PATHS ? { morePaths: paths.length - MAX_PATHS } : {}),
            actor: { kind: r.actorKind, ...(r.actorName ? { name: r.actorName } : {}) },
          };
        });
        context.metrics?.mcpToolCalls.inc({ tool: 'recent_changes', outcome: 'ok' });
        return toolResult({
          changes,
          ...(records.length === args.limit ? { nextCursor: records[records.length - 1].seq.toString() } : {}),
        });
      } catch (error) {
        context.metrics?.mcpToolCalls.inc({ tool: 'recent_changes', outcome: 'tool_error' });
        return toolError(
          error instanceof RangeError ? ScimError.badRequest('invalidValue', 'Bad cursor.') : error,
          'recent_changes',
        );
      }
    },
  );
}
