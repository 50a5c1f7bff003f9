import { normalizeInput, SchemaRegistry, ScimError } from '@roster/scim';
import { parse as parseCsv } from 'csv-parse';
import { createReadStream, createWriteStream, statSync, WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { readFile } from 'node:fs/promises';
import { Backend, WriteOutcome } from './backend';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export type InputFormat = 'csv' | 'ndjson' | 'json';

/** One record of the input: a SCIM body, or why the row could not become one. */
interface Item {
  row: number;
  kind: 'User' | 'Group';
  body?: Record<string, unknown>;
  /** The id the resource had where it was exported from (to map group members). */
  sourceId?: string;
  error?: string;
}

export function formatOf(file: string, given?: string): InputFormat {
  const format = (given ?? file.split('.').pop() ?? '').toLowerCase();
  if (format === 'csv') {
    return 'csv';
  }
  if (format === 'ndjson' || format === 'jsonl') {
    return 'ndjson';
  }
  if (format === 'json') {
    return 'json';
  }
  throw new Error(`Cannot tell the format of ${file}: name it .csv, .ndjson or .json, or pass --input-format.`);
}

const NAME_PARTS = new Set([
  'givenName',
  'familyName',
  'middleName',
  'formatted',
  'honorificPrefix',
  'honorificSuffix',
]);
const ENTERPRISE_PARTS = new Set(['employeeNumber', 'costCenter', 'organization', 'division', 'department']);

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    node = (node[key] ??= {}) as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/**
 * A CSV row as a SCIM User. Headers are attribute names (`userName`, `displayName`, `title`,
 * `externalId`, ...), dotted sub-attributes (`name.givenName`), URN-qualified extension
 * attributes, or the shortcuts `email`/`emails` and `phone` (`;` separates several values; the
 * first is primary, type work), `givenName`/`familyName`, `department`, `employeeNumber`,
 * `manager` (a user id). `active` takes true/false (also yes/no, 1/0). Empty cells are absent.
 */
export function csvRowToUser(row: Record<string, string>): Record<string, unknown> {
  const user: Record<string, unknown> = { schemas: [USER_SCHEMA] };
  let enterprise = false;
  for (const [rawHeader, rawValue] of Object.entries(row)) {
    const header = rawHeader.trim();
    const value = (rawValue ?? '').trim();
    if (!header || value === '') {
      continue;
    }
    if (header === 'email' || header === 'emails') {
      user.emails = value
        .split(';')
        .map((v, i) => ({ value: v.trim(), type: 'work', ...(i === 0 ? { primary: true } : {}) }));
    } else if (header === 'phone' || header === 'phoneNumber' || header === 'phoneNumbers') {
      user.phoneNumbers = value
        .split(';')
        .map((v, i) => ({ value: v.trim(), type: 'work', ...(i === 0 ? { primary: true } : {}) }));
    } else if (NAME_PARTS.has(header)) {
      setPath(user, ['name', header], value);
    } else if (ENTERPRISE_PARTS.has(header)) {
      setPath(user, [ENTERPRISE, header], value);
      enterprise = true;
    } else if (header === 'manager') {
      setPath(user, [ENTERPRISE, 'manager'], { value });
      enterprise = true;
    } else if (header === 'active') {
      const v = value.toLowerCase();
      if (!['true', 'false', 'yes', 'no', '1', '0'].includes(v)) {
        throw ScimError.badRequest('invalidValue', `active must be true or false, got "${value}".`);
      }
      user.active = ['true', 'yes', '1'].includes(v);
    } else if (header.startsWith('urn:')) {
      const cut = header.lastIndexOf(':');
      const urn = header.slice(0, cut);
      setPath(user, [urn, ...header.slice(cut + 1).split('.')], value);
      if (!(user.schemas as string[]).includes(urn)) {
        (user.schemas as string[]).push(urn);
      }
    } else {
      setPath(user, header.split('.'), value);
    }
  }
  if (enterprise) {
    (user.schemas as string[]).push(ENTERPRISE);
  }
  return user;
}

/** A SCIM document from JSON input, with what the server assigns (id, meta, groups) taken off. */
function fromDocument(doc: unknown, row: number): Item {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    return { row, kind: 'User', error: 'Not a JSON object.' };
  }
  const { id, meta, groups: _groups, ...body } = doc as Record<string, unknown>;
  const schemas = Array.isArray(body.schemas) ? (body.schemas as unknown[]) : [];
  const type = (meta as { resourceType?: string } | undefined)?.resourceType;
  const kind = type === 'Group' || schemas.includes(GROUP_SCHEMA) ? 'Group' : 'User';
  return { row, kind, body, sourceId: typeof id === 'string' ? id : undefined };
}

async function* readItems(file: string, format: InputFormat, bytes: { read: () => number }): AsyncGenerator<Item> {
  if (format === 'csv') {
    const input = createReadStream(file);
    bytes.read = () => input.bytesRead;
    const parser = input.pipe(
      parseCsv({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, trim: false }),
    );
    let row = 1;
    for await (const record of parser as AsyncIterable<Record<string, string>>) {
      row++;
      try {
        yield { row, kind: 'User', body: csvRowToUser(record) };
      } catch (error) {
        yield { row, kind: 'User', error: error instanceof ScimError ? error.detail : (error as Error).message };
      }
    }
    return;
  }
  if (format === 'ndjson') {
    const input = createReadStream(file);
    bytes.read = () => input.bytesRead;
    const lines = createInterface({ input, crlfDelay: Infinity });
    let row = 0;
    for await (const line of lines) {
      row++;
      if (!line.trim()) {
        continue;
      }
      try {
        yield fromDocument(JSON.parse(line), row);
      } catch {
        yield { row, kind: 'User', error: 'The line is not valid JSON.' };
      }
    }
    return;
  }
  // A whole JSON document: a ListResponse, a BulkRequest's data, or an array of resources.
  const parsed = JSON.parse(await readFile(file, 'utf8')) as unknown;
  const list = Array.isArray(parsed)
    ? parsed
    : Array.isArray((parsed as { Resources?: unknown[] }).Resources)
      ? (parsed as { Resources: unknown[] }).Resources
      : Array.isArray((parsed as { Operations?: unknown[] }).Operations)
        ? (parsed as { Operations: { data?: unknown }[] }).Operations.map((op) => op.data)
        : [parsed];
  for (const [i, doc] of list.entries()) {
    yield fromDocument(doc, i + 1);
  }
}

export interface ImportOptions {
  file: string;
  format: InputFormat;
  dryRun: boolean;
  errorsFile: string;
  concurrency: number;
  /** Called after each batch: items read so far, bytes read of the total. */
  progress?: (state: ImportProgress) => void;
}

export interface ImportProgress {
  processed: number;
  created: number;
  failed: number;
  fraction: number;
  elapsedMs: number;
}

export interface ImportSummary {
  file: string;
  format: InputFormat;
  dryRun: boolean;
  users: { total: number; created: number; failed: number };
  groups: { total: number; created: number; failed: number };
  durationMs: number;
  usersPerSecond: number;
  errorsFile?: string;
}

/**
 * Imports users (and groups) through the same write path as Bulk: users in batches through
 * `UsersService.createMany` (or a running service's /v2/Bulk), groups one by one through
 * `GroupsService`, after the users, with member ids of the source directory mapped to the new
 * ones. Nothing is kept in memory but the batch in flight and that id map. Failed rows go to
 * the error report (NDJSON: row, name, status, scimType, detail) and do not stop the import.
 */
export async function importFile(
  backend: Backend | undefined,
  registry: SchemaRegistry,
  options: ImportOptions,
): Promise<ImportSummary> {
  const started = Date.now();
  const totalBytes = statSync(options.file).size;
  let errors: WriteStream | undefined;
  const users = { total: 0, created: 0, failed: 0 };
  const groups = { total: 0, created: 0, failed: 0 };
  const idMap = new Map<string, string>();
  const seenUserNames = new Set<string>();
  const pendingGroups: Item[] = [];
  const report = (item: Item, outcome: { status: number; scimType?: string; detail: string }): void => {
    errors ??= createWriteStream(options.errorsFile);
    const name = item.kind === 'User' ? item.body?.userName : item.body?.displayName;
    errors.write(`${JSON.stringify({ row: item.row, resourceType: item.kind, name, ...outcome })}\n`);
  };
  const progress = (): void =>
    options.progress?.({
      processed: users.total + groups.total,
      created: users.created + groups.created,
      failed: users.failed + groups.failed,
      fraction: Math.min(1, bytes.read() / Math.max(1, totalBytes)),
      elapsedMs: Date.now() - started,
    });
  const bytes = { read: () => 0 };
  let failure: Error | undefined;
  const batchSize = backend?.batchSize ?? 1000;

  // Validation that needs no database (what the dry run checks): the schema, and unique userNames within the file.
  const validate = (item: Item): string | undefined => {
    if (item.error) {
      return item.error;
    }
    try {
      normalizeInput(registry, item.kind, item.body, 'create');
    } catch (error) {
      return error instanceof ScimError ? error.detail : (error as Error).message;
    }
    if (item.kind === 'User' && options.dryRun) {
      const key = (typeof item.body?.userName === 'string' ? item.body.userName : '').toLowerCase();
      if (seenUserNames.has(key)) {
        return `userName "${String(item.body?.userName)}" appears earlier in the file.`;
      }
      seenUserNames.add(key);
    }
    return undefined;
  };

  const inFlight = new Set<Promise<void>>();
  const send = (batch: Item[]): Promise<void> => {
    const run = (async () => {
      const outcomes = await backend!.createUsers(batch.map((item) => item.body));
      for (const [i, outcome] of outcomes.entries()) {
        const item = batch[i];
        if ('id' in outcome) {
          users.created++;
          if (item.sourceId) {
            idMap.set(item.sourceId, outcome.id);
          }
        } else {
          users.failed++;
          report(item, outcome);
        }
      }
      progress();
    })();
    const tracked = run.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    return tracked;
  };

  let batch: Item[] = [];
  for await (const item of readItems(options.file, options.format, bytes)) {
    if (failure) {
      break;
    }
    if (item.kind === 'Group') {
      groups.total++;
      pendingGroups.push(item);
      continue;
    }
    users.total++;
    const problem = validate(item);
    if (problem) {
      users.failed++;
      report(item, { status: 400, scimType: 'invalidValue', detail: problem });
      continue;
    }
    if (options.dryRun) {
      if (users.total % batchSize === 0) {
        progress();
      }
      continue;
    }
    batch.push(item);
    if (batch.length >= batchSize) {
      const full = batch;
      batch = [];
      while (inFlight.size >= options.concurrency) {
        await Promise.race(inFlight).catch(() => undefined);
      }
      send(full).catch((error: unknown) => (failure ??= error as Error));
    }
  }
  if (batch.length && !options.dryRun && !failure) {
    send(batch).catch((error: unknown) => (failure ??= error as Error));
  }
  await Promise.allSettled([...inFlight]);
  if (failure) {
    // A batch that threw (the service or the database went away) stops the import as a whole.
    errors?.end();
    throw failure;
  }
  bytes.read = () => totalBytes;

  for (const item of orderGroups(pendingGroups)) {
    const problem = validate(item);
    if (problem) {
      groups.failed++;
      report(item, { status: 400, scimType: 'invalidValue', detail: problem });
      continue;
    }
    if (options.dryRun) {
      continue;
    }
    const body = { ...item.body };
    if (Array.isArray(body.members)) {
      body.members = (body.members as { value?: string; type?: string }[]).map((m) => ({
        ...(m.value ? { value: idMap.get(m.value) ?? m.value } : {}),
        ...(m.type ? { type: m.type } : {}),
      }));
    }
    const outcome: WriteOutcome = await backend!.createGroup(body);
    if ('id' in outcome) {
      groups.created++;
      if (item.sourceId) {
        idMap.set(item.sourceId, outcome.id);
      }
    } else {
      groups.failed++;
      report(item, outcome);
    }
  }
  progress();
  if (errors) {
    await new Promise<void>((resolve) => errors!.end(resolve));
  }
  const durationMs = Date.now() - started;
  return {
    file: options.file,
    format: options.format,
    dryRun: options.dryRun,
    users,
    groups,
    durationMs,
    usersPerSecond: Math.round(((options.dryRun ? users.total : users.created) * 1000) / Math.max(1, durationMs)),
    ...(errors ? { errorsFile: options.errorsFile } : {}),
  };
}

/** Groups that contain other groups come after them, so that every member exists when its group is created. */
function orderGroups(items: Item[]): Item[] {
  const bySource = new Map(items.filter((i) => i.sourceId).map((i) => [i.sourceId!, i]));
  const done = new Set<Item>();
  const visiting = new Set<Item>();
  const ordered: Item[] = [];
  const visit = (item: Item): void => {
    if (done.has(item) || visiting.has(item)) {
      return;
    }
    visiting.add(item);
    for (const member of (item.body?.members as { value?: string }[] | undefined) ?? []) {
      const child = member.value ? bySource.get(member.value) : undefined;
      if (child) {
        visit(child);
      }
    }
    visiting.delete(item);
    done.add(item);
    ordered.push(item);
  };
  items.forEach(visit);
  return ordered;
}
