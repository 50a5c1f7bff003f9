import type { CallToolResult } from '@modelcontextprotocol/server';
import { Logger } from '@nestjs/common';
import { ScimError } from '@roster/scim';
import { McpRateLimitError } from './mcp-rate-limiter';

type Doc = Record<string, unknown>;

const logger = new Logger('McpTools');

/**
 * A successful result: `structuredContent` for clients that read it, and the same JSON as text
 * for those that do not (MCP asks for both when a tool declares an output schema).
 */
export function toolResult(structured: Doc): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
}

/** What the model can do about a SCIM error, beyond its detail. */
function hint(error: ScimError): string {
  switch (error.status) {
    case 404:
      return ' Check the id, or find the resource with search_users / search_groups.';
    case 409:
      return ' Choose another value, or look up the existing resource.';
    case 412:
      return ' Read the resource again and retry with its current etag as if_match (or without if_match to overwrite).';
    default:
      return error.scimType === 'invalidFilter'
        ? ' Filters use SCIM syntax, e.g. userName sw "j" and active eq true.'
        : '';
  }
}

/**
 * A failed call as a tool result (`isError`), which the model reads and can act on: SCIM errors
 * keep their status, scimType and detail, as the REST API would answer them. Anything else is
 * logged and described without internals.
 */
export function toolError(error: unknown, tool: string): CallToolResult {
  if (error instanceof McpRateLimitError) {
    return errorText(error.message);
  }
  if (error instanceof ScimError) {
    const kind = error.scimType ? ` ${error.scimType}` : '';
    return errorText(`SCIM error ${error.status}${kind}: ${error.detail}${hint(error)}`);
  }
  logger.error(
    { err: error instanceof Error ? { type: error.name, message: error.message } : String(error) },
    `Tool ${tool} failed`,
  );
  return errorText(`${tool} failed because of an internal error in Roster; try again later.`);
}

function errorText(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}
