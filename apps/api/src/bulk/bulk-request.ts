import { isPlainObject, ResourceTypeName, ScimError } from '@roster/scim';

export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const METHODS: ReadonlySet<string> = new Set<BulkMethod>(['POST', 'PUT', 'PATCH', 'DELETE']);

/** One operation of a BulkRequest (RFC 7644 §3.7), with its shape already checked. */
export interface BulkOperation {
  /** 0-based position in the request, which is also the position of its answer. */
  index: number;
  method: BulkMethod;
  path: string;
  bulkId?: string;
  /** An ETag, checked like If-Match. */
  version?: string;
  /** Present for POST, PUT and PATCH. */
  data?: Record<string, unknown>;
}

export interface BulkRequest {
  /** Absent: every operation runs, however many fail. */
  failOnErrors?: number;
  operations: BulkOperation[];
}

export interface BulkLimits {
  maxOperations: number;
}

/** What an operation's path names: a resource type endpoint, or one resource by id or by `bulkId:`. */
export interface BulkTarget {
  resourceType: ResourceTypeName;
  /** The id as written; absent for `/Users` and `/Groups`. */
  id?: string;
  /** Set when the id is a `bulkId:` reference: the bulkId it names. */
  bulkIdRef?: string;
}

const REFERENCE_PREFIX = 'bulkid:';

/**
 * The bulkId a value refers to, when it is a whole `bulkId:<id>` reference (RFC 7644 §3.7.2).
 * The prefix is matched in any case (no resource id starts with it); the bulkId itself is exact.
 */
export function bulkIdReference(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length < REFERENCE_PREFIX.length) {
    return undefined;
  }
  return value.slice(0, REFERENCE_PREFIX.length).toLowerCase() === REFERENCE_PREFIX
    ? value.slice(REFERENCE_PREFIX.length)
    : undefined;
}

/** The value of `name` in `object`: the exact key first, then any case (`Operations`, `operations`). */
function member(object: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(object, name)) {
    return object[name];
  }
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : object[key];
}

function describe(value: unknown): string {
  if (Array.isArray(value)) {
    return 'an array';
  }
  if (value === null) {
    return 'null';
  }
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function invalid(detail: string): ScimError {
  return ScimError.badRequest('invalidSyntax', detail);
}

/**
 * Checks a BulkRequest against RFC 7644 §3.7 before anything runs. A request that breaks the
 * message's own rules (its schema, a missing method, path or data, a POST without bulkId, a
 * bulkId used twice) is rejected whole with 400 invalidSyntax, so that a half-understood request
 * never changes the directory. More operations than maxOperations is 413 (RFC 7644 §3.7.4).
 * What depends on the directory (the endpoint a path names, the resource data) is left to each
 * operation, which fails on its own.
 */
export function parseBulkRequest(body: unknown, limits: BulkLimits): BulkRequest {
  if (!isPlainObject(body)) {
    throw invalid(`The BulkRequest must be a JSON object, got ${describe(body)}.`);
  }
  const schemas = member(body, 'schemas');
  const listed = Array.isArray(schemas) ? (schemas as unknown[]) : [schemas];
  if (!listed.some((s) => typeof s === 'string' && s.toLowerCase() === BULK_REQUEST_SCHEMA.toLowerCase())) {
    throw invalid(`A BulkRequest must list "${BULK_REQUEST_SCHEMA}" in "schemas".`);
  }
  const list = member(body, 'Operations');
  if (!Array.isArray(list)) {
    throw invalid(`A BulkRequest needs an "Operations" array, got ${describe(list)}.`);
  }
  const operations = list as unknown[];
  // Before looking at any operation, so an oversized request costs nothing more.
  if (operations.length > limits.maxOperations) {
    throw new ScimError(
      413,
      `The bulk request has ${operations.length} operations, more than maxOperations (${limits.maxOperations}).`,
    );
  }
  const failOnErrors = member(body, 'failOnErrors');
  if (
    failOnErrors !== undefined &&
    (typeof failOnErrors !== 'number' || !Number.isInteger(failOnErrors) || failOnErrors < 1)
  ) {
    throw invalid(`"failOnErrors" must be a positive integer, got ${JSON.stringify(failOnErrors)}.`);
  }
  const parsed = operations.map((raw, index) => parseOperation(raw, index));
  const seen = new Map<string, number>();
  for (const operation of parsed) {
    if (operation.bulkId === undefined) {
      continue;
    }
    const first = seen.get(operation.bulkId);
    if (first !== undefined) {
      // A reference to it would be ambiguous; RFC 7644 §3.7 requires bulkIds to be unique.
      throw invalid(
        `Operations ${first + 1} and ${operation.index + 1} both have bulkId "${operation.bulkId}"; ` +
          'a bulkId must be unique within a bulk request.',
      );
    }
    seen.set(operation.bulkId, operation.index);
  }
  return { ...(typeof failOnErrors === 'number' ? { failOnErrors } : {}), operations: parsed };
}

function parseOperation(raw: unknown, index: number): BulkOperation {
  const where = `Operation ${index + 1}`;
  if (!isPlainObject(raw)) {
    throw invalid(`${where} must be a JSON object, got ${describe(raw)}.`);
  }
  const method = member(raw, 'method');
  if (typeof method !== 'string' || !METHODS.has(method.toUpperCase())) {
    throw invalid(`${where}: "method" must be POST, PUT, PATCH or DELETE, got ${JSON.stringify(method) ?? 'nothing'}.`);
  }
  const upper = method.toUpperCase() as BulkMethod;
  const path = member(raw, 'path');
  if (typeof path !== 'string' || path.trim() === '') {
    throw invalid(`${where}: "path" must be a resource path such as "/Users" or "/Groups/{id}".`);
  }
  const bulkId = member(raw, 'bulkId');
  if (bulkId !== undefined && (typeof bulkId !== 'string' || bulkId === '')) {
    throw invalid(`${where}: "bulkId" must be a non-empty string, got ${JSON.stringify(bulkId)}.`);
  }
  if (upper === 'POST' && bulkId === undefined) {
    throw invalid(`${where}: a POST needs a "bulkId" (RFC 7644 §3.7).`);
  }
  const version = member(raw, 'version');
  if (version !== undefined && typeof version !== 'string') {
    throw invalid(`${where}: "version" must be an ETag string such as W/"3", got ${describe(version)}.`);
  }
  const data = member(raw, 'data');
  if (upper !== 'DELETE' && !isPlainObject(data)) {
    throw invalid(`${where}: a ${upper} needs "data" holding a JSON object, got ${describe(data)}.`);
  }
  return {
    index,
    method: upper,
    path: path.trim(),
    ...(typeof bulkId === 'string' ? { bulkId } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(upper !== 'DELETE' && isPlainObject(data) ? { data } : {}),
  };
}

const RESOURCE_PATH = /^\/(users|groups)(?:\/([^/?#]+))?\/?$/i;

/**
 * The endpoint an operation's path names, or the 404/405 its HTTP request would get. Paths are
 * relative to the SCIM base URL (`/Users`, not `/v2/Users`); the resource type is matched in any
 * case, as the HTTP routes are.
 */
export function parseTarget(operation: BulkOperation): BulkTarget | ScimError {
  const match = RESOURCE_PATH.exec(operation.path);
  if (!match) {
    return ScimError.notFound(
      `No endpoint at "${operation.path}"; a bulk operation's path is "/Users", "/Groups" or one of their resources.`,
    );
  }
  const resourceType: ResourceTypeName = match[1].toLowerCase() === 'users' ? 'User' : 'Group';
  const endpoint = resourceType === 'User' ? '/Users' : '/Groups';
  let id: string | undefined;
  if (match[2] !== undefined) {
    try {
      id = decodeURIComponent(match[2]);
    } catch {
      return ScimError.notFound(`No resource at "${operation.path}".`);
    }
  }
  if (operation.method === 'POST' && id !== undefined) {
    return new ScimError(405, `POST creates a resource at "${endpoint}"; it cannot name one ("${operation.path}").`);
  }
  if (operation.method !== 'POST' && id === undefined) {
    return new ScimError(405, `${operation.method} needs the path of one resource, such as "${endpoint}/{id}".`);
  }
  const bulkIdRef = bulkIdReference(id);
  return { resourceType, ...(id !== undefined ? { id } : {}), ...(bulkIdRef !== undefined ? { bulkIdRef } : {}) };
}
