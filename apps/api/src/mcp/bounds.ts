import { isPlainObject, ScimError } from '@roster/scim';

/** Items one tool call returns at most (a page of users, groups or members). */
export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 25;
/**
 * Characters of JSON one tool result may carry. Claude truncates tool results at about 150,000
 * characters; staying well under leaves room for the text rendering's framing.
 */
export const RESULT_BUDGET = 100_000;
/** Longer strings (certificates, photos as data URLs) are cut in tool results. */
const MAX_STRING = 4_000;
/** Longer arrays inside one resource (a user's groups) are cut; paged tools exist for those. */
const MAX_ARRAY = MAX_PAGE;

/** A copy of `value` small enough for a tool result, and notes naming what was cut. */
export function bound<T>(value: T, path: string, notes: string[]): T {
  return cut(value, path, notes) as T;
}

function cut(value: unknown, path: string, notes: string[]): unknown {
  if (typeof value === 'string' && value.length > MAX_STRING) {
    notes.push(`${path}: ${value.length} characters, first ${MAX_STRING} shown`);
    return `${value.slice(0, MAX_STRING)}…`;
  }
  if (Array.isArray(value)) {
    if (value.length > MAX_ARRAY) {
      notes.push(`${path}: ${value.length} items, first ${MAX_ARRAY} shown`);
    }
    return value.slice(0, MAX_ARRAY).map((item, i) => cut(item, `${path}[${i}]`, notes));
  }
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cut(v, `${path}.${k}`, notes)]));
  }
  return value;
}

export function jsonSize(value: unknown): number {
  return JSON.stringify(value).length;
}

/**
 * Opaque cursors for tools: a tagged JSON object in base64url. The tag keeps a cursor of one
 * tool from being replayed on another; the content is checked by whoever decodes it.
 */
export function encodeCursor(kind: string, state: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ ...state, kind })).toString('base64url');
}

export function decodeCursor(kind: string, cursor: string): Record<string, unknown> {
  let state: unknown;
  try {
    state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    state = undefined;
  }
  if (!isPlainObject(state) || state.kind !== kind) {
    throw ScimError.badRequest(
      'invalidCursor',
      'The cursor is not one this tool returned; pass nextCursor from the previous result unchanged, or omit it to start over.',
    );
  }
  return state;
}
