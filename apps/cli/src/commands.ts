import { restoreDataDir } from '@roster/db';
import { SchemaRegistry, ScimError } from '@roster/scim';
import { createWriteStream, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ParseArgsConfig } from 'node:util';
import { AppConfig } from '../../api/src/config';
import { EXIT } from '../../api/src/ops/exit-codes';
import { embeddedOnDisk } from '../../api/src/ops/startup';
import { Backend, ResourceKind } from './backend';
import type { CliIo } from './cli';
import { formatOf, importFile, ImportProgress } from './import';
import { UsageError } from './usage-error';

export interface CommandContext {
  values: Record<string, unknown>;
  positionals: string[];
  io: CliIo;
  config: AppConfig;
  cwd: string;
  backend: Backend;
}

export interface Command {
  name: string;
  usage: string;
  summary: string;
  help?: string;
  options?: ParseArgsConfig['options'];
  /** Checked before anything is opened: throws a UsageError. */
  validate?: (values: Record<string, unknown>, positionals: string[]) => void;
  /** Runs without reaching the directory (dry runs, restore). */
  offline?: (values: Record<string, unknown>) => boolean;
  run(context: CommandContext): Promise<unknown>;
  /** What `--format table` shows: rows of the result. */
  table?: (output: unknown) => unknown;
}

function usageError(message: string): Error {
  return new UsageError(message);
}

/** An option's string value (parseArgs gives string, boolean or arrays). */
function opt(values: Record<string, unknown>, name: string): string | undefined {
  return typeof values[name] === 'string' ? values[name] : undefined;
}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw usageError(`--${name} is required.`);
  }
  return value;
}

function exactly(positionals: string[], count: number, what: string): void {
  if (positionals.length !== count) {
    throw usageError(count === 0 ? `Unexpected arguments: ${positionals.join(' ')}` : `Expected ${what}.`);
  }
}

/** A comma-separated option as its non-empty items. */
function splitList(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function resolvePath(cwd: string, path: string): string {
  return isAbsolute(path) ? path : join(cwd, path);
}

const listOptions: ParseArgsConfig['options'] = {
  filter: { type: 'string' },
  count: { type: 'string' },
  'start-index': { type: 'string' },
  attributes: { type: 'string' },
  cursor: { type: 'string' },
};

function listQuery(values: Record<string, unknown>): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [option, parameter] of [
    ['filter', 'filter'],
    ['count', 'count'],
    ['start-index', 'startIndex'],
    ['attributes', 'attributes'],
    ['cursor', 'cursor'],
  ] as const) {
    if (typeof values[option] === 'string') {
      query[parameter] = values[option];
    }
  }
  return query;
}

async function show(backend: Backend, kind: ResourceKind, key: string): Promise<Record<string, unknown>> {
  if (UUID.test(key)) {
    return backend.get(kind, key);
  }
  // Not an id: the userName or displayName, exactly.
  const attribute = kind === 'Users' ? 'userName' : 'displayName';
  const found = await backend.list(kind, { filter: `${attribute} eq ${JSON.stringify(key)}`, count: '2' });
  if (found.Resources.length !== 1) {
    throw ScimError.notFound(`No ${kind === 'Users' ? 'user' : 'group'} with id or ${attribute} "${key}".`);
  }
  return backend.get(kind, String(found.Resources[0].id));
}

const userRow = (u: Record<string, unknown>) => ({
  id: u.id,
  userName: u.userName,
  displayName: u.displayName,
  active: u.active,
  email: (u.emails as { value?: string }[] | undefined)?.[0]?.value,
});
const groupRow = (g: Record<string, unknown>) => ({
  id: g.id,
  displayName: g.displayName,
  externalId: g.externalId,
  members: Array.isArray(g.members) ? g.members.length : undefined,
});

function progressPrinter(io: CliIo): (p: ImportProgress) => void {
  let lastLine = 0;
  return (p) => {
    const rate = Math.round((p.created * 1000) / Math.max(1, p.elapsedMs));
    const width = 30;
    const filled = Math.round(p.fraction * width);
    const text = `[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.round(p.fraction * 100)}%  ${p.processed.toLocaleString('en')} read, ${p.created.toLocaleString('en')} created, ${p.failed.toLocaleString('en')} failed, ${rate.toLocaleString('en')}/s`;
    if (io.interactive) {
      io.stderr(`\r${text}`);
    } else if (Date.now() - lastLine > 5000 || p.fraction >= 1) {
      // Logs and CI: a line every few seconds rather than a redrawn bar.
      lastLine = Date.now();
      io.stderr(`${text}\n`);
    }
  };
}

async function* exportLines(
  backend: Backend,
  kinds: ResourceKind[],
  counts: Record<string, number>,
): AsyncGenerator<string> {
  for (const kind of kinds) {
    let cursor = '';
    for (;;) {
      // Cursor paging (RFC 9865): one page in memory at a time, whatever the directory's size.
      const page = await backend.list(kind, {
        cursor,
        count: '500',
        ...(kind === 'Users' ? { excludedAttributes: 'groups' } : {}),
      });
      for (const resource of page.Resources) {
        counts[kind] = (counts[kind] ?? 0) + 1;
        yield `${JSON.stringify(resource)}\n`;
      }
      if (!page.nextCursor || page.Resources.length === 0) {
        break;
      }
      cursor = page.nextCursor;
    }
  }
}

export const COMMANDS: Command[] = [
  {
    name: 'console link',
    usage: 'console link',
    summary: 'A one-time sign-in link to the web console for the admin token holder (valid 10 minutes).',
    validate: (_v, p) => exactly(p, 0, ''),
    run: ({ backend }) => backend.consoleLink(),
  },
  {
    name: 'tokens create',
    usage:
      'tokens create --name NAME --scope "scim.read scim.write" [--expires-in SECONDS] [--mcp] [--rate-limit PER_MINUTE]',
    summary: 'An API token, e.g. the secret token for Entra ID or Okta (shown once).',
    help: '--rate-limit caps its SCIM requests a minute (429 with Retry-After beyond).',
    options: {
      name: { type: 'string' },
      scope: { type: 'string' },
      'expires-in': { type: 'string' },
      mcp: { type: 'boolean' },
      'rate-limit': { type: 'string' },
    },
    validate: (values, positionals) => {
      required(values, 'name');
      required(values, 'scope');
      exactly(positionals, 0, '');
      if (values['expires-in'] !== undefined && !/^\d+$/.test(opt(values, 'expires-in') ?? '')) {
        throw usageError('--expires-in takes a whole number of seconds.');
      }
      if (values['rate-limit'] !== undefined && !/^\d+$/.test(opt(values, 'rate-limit') ?? '')) {
        throw usageError('--rate-limit takes a whole number of requests per minute.');
      }
    },
    run: ({ backend, values }) =>
      backend.createToken({
        name: String(values.name),
        scope: String(values.scope),
        expiresIn: values['expires-in'] === undefined ? undefined : Number(values['expires-in']),
        mcp: values.mcp === true,
        rateLimit: values['rate-limit'] === undefined ? undefined : Number(values['rate-limit']),
      }),
  },
  {
    name: 'tokens list',
    usage: 'tokens list',
    summary: 'Active API tokens, with their last use (never the tokens).',
    validate: (_v, p) => exactly(p, 0, ''),
    run: async ({ backend }) => ({ tokens: await backend.listTokens() }),
    table: (o) => (o as { tokens: unknown[] }).tokens,
  },
  {
    name: 'tokens revoke',
    usage: 'tokens revoke ID',
    summary: 'Revoke an API token; it is refused from the next request on.',
    validate: (_v, p) => exactly(p, 1, 'exactly one ID'),
    run: async ({ backend, positionals }) => {
      await backend.revokeToken(positionals[0]);
      return { id: positionals[0], revoked: true };
    },
  },
  {
    name: 'schemas list',
    usage: 'schemas list',
    summary: 'Extension schemas registered at runtime, with their attributes and indexes.',
    validate: (_v, p) => exactly(p, 0, ''),
    run: async ({ backend }) => ({ schemas: await backend.listSchemas() }),
    table: (o) =>
      (
        o as {
          schemas: { id: string; resourceType: string; required: boolean; version: number; attributes: unknown[] }[];
        }
      ).schemas.map((s) => ({
        id: s.id,
        resourceType: s.resourceType,
        required: s.required,
        version: s.version,
        attributes: s.attributes.length,
      })),
  },
  {
    name: 'schemas add',
    usage: 'schemas add --file SCHEMA.json | --json JSON',
    summary: 'Register an extension schema (RFC 7643 §7 schema plus resourceType and required).',
    help: 'Example: {"id":"urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User","resourceType":"User","attributes":[{"name":"costCenter","type":"string"}]}',
    options: { file: { type: 'string' }, json: { type: 'string' } },
    validate: (values, positionals) => {
      exactly(positionals, 0, '');
      if ((values.file === undefined) === (values.json === undefined)) {
        throw usageError('Give exactly one of --file or --json.');
      }
    },
    run: ({ backend, values, cwd }) => {
      const text =
        values.file === undefined
          ? String(values.json)
          : readFileSync(resolvePath(cwd, opt(values, 'file') ?? ''), 'utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw usageError('The schema is not valid JSON.');
      }
      return backend.addSchema(body);
    },
  },
  {
    name: 'schemas remove',
    usage: 'schemas remove URN [--purge]',
    summary: 'Remove an extension schema; --purge also deletes the values resources hold.',
    options: { purge: { type: 'boolean' } },
    validate: (_v, p) => exactly(p, 1, 'exactly one URN'),
    run: async ({ backend, positionals, values }) => {
      await backend.removeSchema(positionals[0], values.purge === true);
      return { id: positionals[0], removed: true };
    },
  },
  {
    name: 'set-receivers create',
    usage: 'set-receivers create --name NAME [--audience AUD] [--events URI,URI...]',
    summary: 'A receiver of SCIM security events (SETs) by RFC 8936 poll; its poll token is shown once.',
    help:
      'URI: urn:ietf:params:scim:event:prov:{create:full|create:notice|patch:notice|delete|activate|deactivate}.\n' +
      'Default events: all but create:notice; default audience: the poll URL. It gets the changes from now on.',
    options: { name: { type: 'string' }, audience: { type: 'string' }, events: { type: 'string' } },
    validate: (values, positionals) => {
      required(values, 'name');
      exactly(positionals, 0, '');
    },
    run: ({ backend, values }) =>
      backend.createSetReceiver({
        name: String(values.name),
        ...(opt(values, 'audience') !== undefined ? { audience: opt(values, 'audience') } : {}),
        ...(opt(values, 'events') !== undefined ? { events: splitList(opt(values, 'events')!) } : {}),
      }),
  },
  {
    name: 'set-receivers list',
    usage: 'set-receivers list',
    summary: 'SCIM security event receivers, with their poll state (never their tokens).',
    validate: (_v, p) => exactly(p, 0, ''),
    run: async ({ backend }) => ({ receivers: await backend.listSetReceivers() }),
    table: (o) =>
      (
        o as { receivers: { id: string; name: string; enabled: boolean; events: string[]; acked_through: string }[] }
      ).receivers.map((r) => ({
        id: r.id,
        name: r.name,
        enabled: r.enabled,
        events: r.events.length,
        acked_through: r.acked_through,
      })),
  },
  {
    name: 'set-receivers show',
    usage: 'set-receivers show ID',
    summary: 'One receiver, with its acknowledgement state and the latest errors it reported.',
    validate: (_v, p) => exactly(p, 1, 'exactly one ID'),
    run: ({ backend, positionals }) => backend.showSetReceiver(positionals[0]),
  },
  {
    name: 'set-receivers update',
    usage: 'set-receivers update ID [--name NAME] [--audience AUD] [--events URI,URI...] [--enable | --disable]',
    summary: 'Change a receiver; a disabled one keeps its place and its token is refused.',
    options: {
      name: { type: 'string' },
      audience: { type: 'string' },
      events: { type: 'string' },
      enable: { type: 'boolean' },
      disable: { type: 'boolean' },
    },
    validate: (values, positionals) => {
      exactly(positionals, 1, 'exactly one ID');
      if (values.enable === true && values.disable === true) {
        throw usageError('--enable and --disable exclude each other.');
      }
    },
    run: ({ backend, values, positionals }) =>
      backend.updateSetReceiver(positionals[0], {
        ...(opt(values, 'name') !== undefined ? { name: opt(values, 'name') } : {}),
        ...(opt(values, 'audience') !== undefined ? { audience: opt(values, 'audience') } : {}),
        ...(opt(values, 'events') !== undefined ? { events: splitList(opt(values, 'events')!) } : {}),
        ...(values.enable === true ? { enabled: true } : values.disable === true ? { enabled: false } : {}),
      }),
  },
  {
    name: 'set-receivers rotate-token',
    usage: 'set-receivers rotate-token ID',
    summary: 'A new poll token for a receiver (shown once); the old one stops working.',
    validate: (_v, p) => exactly(p, 1, 'exactly one ID'),
    run: ({ backend, positionals }) => backend.rotateSetReceiverToken(positionals[0]),
  },
  {
    name: 'set-receivers delete',
    usage: 'set-receivers delete ID',
    summary: 'Delete a receiver, with its acknowledgements.',
    validate: (_v, p) => exactly(p, 1, 'exactly one ID'),
    run: async ({ backend, positionals }) => {
      await backend.deleteSetReceiver(positionals[0]);
      return { id: positionals[0], deleted: true };
    },
  },
  {
    name: 'clients create',
    usage:
      'clients create --name NAME [--grant-type TYPE]... [--scope SCOPES] [--auth-method METHOD] [--jwks-file FILE | --jwks JSON | --jwks-uri URL]',
    summary: 'An OAuth client (a client_secret is shown once when one is issued).',
    help:
      'TYPE: client_credentials (default) or urn:ietf:params:oauth:grant-type:jwt-bearer.\n' +
      'METHOD: private_key_jwt, client_secret_basic or client_secret_post.',
    options: {
      name: { type: 'string' },
      'grant-type': { type: 'string', multiple: true },
      scope: { type: 'string' },
      'auth-method': { type: 'string' },
      jwks: { type: 'string' },
      'jwks-file': { type: 'string' },
      'jwks-uri': { type: 'string' },
    },
    validate: (values, positionals) => {
      required(values, 'name');
      exactly(positionals, 0, '');
      if (values.jwks !== undefined && values['jwks-file'] !== undefined) {
        throw usageError('Give --jwks or --jwks-file, not both.');
      }
    },
    run: ({ backend, values, cwd }) => {
      const text =
        values['jwks-file'] === undefined
          ? (values.jwks as string | undefined)
          : readFileSync(resolvePath(cwd, opt(values, 'jwks-file') ?? ''), 'utf8');
      let jwks: unknown;
      if (text !== undefined) {
        try {
          jwks = JSON.parse(text);
        } catch {
          throw usageError('The JWKS is not valid JSON.');
        }
      }
      return backend.registerClient({
        client_name: String(values.name),
        grant_types: values['grant-type'] as string[] | undefined,
        scope: values.scope as string | undefined,
        token_endpoint_auth_method: values['auth-method'] as string | undefined,
        jwks,
        jwks_uri: values['jwks-uri'] as string | undefined,
      });
    },
  },
  {
    name: 'clients list',
    usage: 'clients list',
    summary: 'Active OAuth clients (never their secrets).',
    validate: (_v, p) => exactly(p, 0, ''),
    run: async ({ backend }) => ({ clients: await backend.listClients() }),
    table: (o) => (o as { clients: unknown[] }).clients,
  },
  {
    name: 'clients revoke',
    usage: 'clients revoke ID',
    summary: 'Revoke an OAuth client; its access tokens stop working within 30 seconds.',
    validate: (_v, p) => exactly(p, 1, 'exactly one ID'),
    run: async ({ backend, positionals }) => {
      await backend.revokeClient(positionals[0]);
      return { client_id: positionals[0], revoked: true };
    },
  },
  {
    name: 'grants list',
    usage: 'grants list [--user USER_ID] [--client CLIENT_ID]',
    summary: 'What users allowed OAuth clients (sign-in grants with refresh tokens).',
    options: { user: { type: 'string' }, client: { type: 'string' } },
    validate: (_v, p) => exactly(p, 0, ''),
    run: async ({ backend, values }) => ({
      grants: await backend.listGrants({ userId: opt(values, 'user'), clientId: opt(values, 'client') }),
    }),
    table: (o) => (o as { grants: unknown[] }).grants,
  },
  {
    name: 'grants revoke',
    usage: 'grants revoke ID',
    summary: 'End a grant: its refresh tokens at once, its access tokens within 30 seconds.',
    validate: (_v, p) => exactly(p, 1, 'exactly one ID'),
    run: async ({ backend, positionals }) => {
      await backend.revokeGrant(positionals[0]);
      return { id: positionals[0], revoked: true };
    },
  },
  {
    name: 'keys rotate',
    usage: 'keys rotate',
    summary: 'A new token signing key; the old one stays published until its tokens expire.',
    validate: (_v, p) => exactly(p, 0, ''),
    run: ({ backend }) => backend.rotateKeys(),
  },
  {
    name: 'admin-token reset',
    usage: 'admin-token reset',
    summary: 'A new generated admin token (shown once); the previous one stops working.',
    help: 'Refused when SCIM_ADMIN_TOKEN sets the admin token: change that variable instead.',
    validate: (_v, p) => exactly(p, 0, ''),
    run: ({ backend }) => backend.resetAdminToken(),
  },
  {
    name: 'events tail',
    usage:
      'events tail [--follow] [--type T1,T2] [--resource-id ID] [--actor NAME] [--since TIME] [--cursor C] [--limit N] [--interval SECONDS]',
    summary:
      'The change log, one JSON event per line, oldest first; --follow keeps polling for new ones, like tail -f.',
    help:
      'Without --cursor or --since it starts at the newest events (the last --limit, default 10, unless --follow); ' +
      'the last line on stderr is the cursor to resume from.',
    options: {
      follow: { type: 'boolean', short: 'f' },
      type: { type: 'string' },
      'resource-id': { type: 'string' },
      actor: { type: 'string' },
      since: { type: 'string' },
      cursor: { type: 'string' },
      limit: { type: 'string' },
      interval: { type: 'string' },
    },
    validate: (values, p) => {
      exactly(p, 0, '');
      for (const name of ['limit', 'interval']) {
        const value = opt(values, name);
        if (value !== undefined && !/^[1-9][0-9]{0,5}$/.test(value)) {
          throw usageError(`--${name} takes a positive integer.`);
        }
      }
    },
    run: (context) => tailEvents(context),
  },
  ...webhookCommands(),
  {
    name: 'users list',
    usage: 'users list [--filter FILTER] [--count N] [--start-index N] [--attributes A,B] [--cursor C]',
    summary: 'A page of users (SCIM filter syntax: --filter \'userName sw "a"\').',
    options: listOptions,
    validate: (_v, p) => exactly(p, 0, ''),
    run: ({ backend, values }) => backend.list('Users', listQuery(values)),
    table: (o) => (o as { Resources: Record<string, unknown>[] }).Resources.map(userRow),
  },
  {
    name: 'users show',
    usage: 'users show ID|USERNAME',
    summary: 'One user, by id or exact userName.',
    validate: (_v, p) => exactly(p, 1, 'an id or a userName'),
    run: ({ backend, positionals }) => show(backend, 'Users', positionals[0]),
  },
  {
    name: 'groups list',
    usage: 'groups list [--filter FILTER] [--count N] [--start-index N] [--attributes A,B] [--cursor C]',
    summary: 'A page of groups.',
    options: listOptions,
    validate: (_v, p) => exactly(p, 0, ''),
    run: ({ backend, values }) => backend.list('Groups', { excludedAttributes: 'members', ...listQuery(values) }),
    table: (o) => (o as { Resources: Record<string, unknown>[] }).Resources.map(groupRow),
  },
  {
    name: 'groups show',
    usage: 'groups show ID|DISPLAYNAME',
    summary: 'One group with its members, by id or exact displayName.',
    validate: (_v, p) => exactly(p, 1, 'an id or a displayName'),
    run: ({ backend, positionals }) => show(backend, 'Groups', positionals[0]),
  },
  {
    name: 'import',
    usage: 'import FILE [--dry-run] [--errors FILE] [--input-format csv|ndjson|json] [--concurrency N]',
    summary: 'Users (and groups) from users.csv, users.ndjson or a SCIM JSON document, through the Bulk write path.',
    help: [
      'CSV: one user a row; headers are SCIM attribute names (userName, displayName, title, externalId, active,',
      '  name.givenName, urn:...:enterprise:2.0:User:department) or the shortcuts email (";" between several),',
      '  phone, givenName, familyName, department, employeeNumber, manager.',
      'NDJSON: one SCIM User or Group a line (what `export` writes); JSON: a ListResponse, a BulkRequest or an',
      '  array. id, meta and groups are read-only and ignored; group members are mapped to the new user ids.',
      '--dry-run  checks every row (schema, unique userNames within the file) and writes nothing.',
      '--errors   where the per-row error report goes (NDJSON; default FILE.errors.ndjson, only if a row fails).',
      'Progress goes to stderr, the summary (JSON) to stdout. Exit code 1 when a row failed.',
    ].join('\n'),
    options: {
      'dry-run': { type: 'boolean' },
      errors: { type: 'string' },
      'input-format': { type: 'string' },
      concurrency: { type: 'string' },
    },
    offline: (values) => values['dry-run'] === true,
    validate: (values, positionals) => {
      exactly(positionals, 1, 'one FILE to import');
      try {
        formatOf(positionals[0], values['input-format'] as string | undefined);
      } catch (error) {
        throw usageError((error as Error).message);
      }
      if (values.concurrency !== undefined && !/^[1-9]\d*$/.test(opt(values, 'concurrency') ?? '')) {
        throw usageError('--concurrency takes a positive whole number.');
      }
    },
    run: async (context) => {
      const { values, positionals, cwd, io } = context;
      const file = resolvePath(cwd, positionals[0]);
      const dryRun = values['dry-run'] === true;
      const summary = await importFile(dryRun ? undefined : context.backend, new SchemaRegistry(), {
        file,
        format: formatOf(file, values['input-format'] as string | undefined),
        dryRun,
        errorsFile: resolvePath(cwd, (values.errors as string | undefined) ?? `${positionals[0]}.errors.ndjson`),
        concurrency: Number(values.concurrency ?? (context.config.database.url ? 4 : 1)),
        progress: progressPrinter(io),
      });
      if (io.interactive) {
        io.stderr('\n');
      }
      const failed = summary.users.failed + summary.groups.failed;
      return { output: summary, exitCode: failed ? EXIT.refused : EXIT.ok };
    },
  },
  {
    name: 'export',
    usage: 'export [--output FILE] [--resources users,groups]',
    summary: 'Every user and group as NDJSON (one SCIM document a line), streamed; `import` reads it back.',
    options: { output: { type: 'string' }, resources: { type: 'string' } },
    validate: (values, positionals) => {
      exactly(positionals, 0, '');
      const kinds = (opt(values, 'resources') ?? 'users,groups').split(',');
      if (!kinds.every((k) => k === 'users' || k === 'groups')) {
        throw usageError('--resources takes users, groups or users,groups.');
      }
    },
    run: async ({ backend, values, cwd, io }) => {
      const kinds = (opt(values, 'resources') ?? 'users,groups')
        .split(',')
        .map((k) => (k === 'users' ? 'Users' : 'Groups'));
      const counts: Record<string, number> = { Users: 0, Groups: 0 };
      const started = Date.now();
      const output = values.output === undefined ? undefined : resolvePath(cwd, opt(values, 'output') ?? '');
      const target: Writable = output
        ? createWriteStream(output)
        : new Writable({ write: (chunk: Buffer, _e, done) => (io.stdout(chunk.toString()), done()) });
      await pipeline(Readable.from(exportLines(backend, kinds, counts)), target);
      const summary = { users: counts.Users, groups: counts.Groups, durationMs: Date.now() - started, file: output };
      if (!output) {
        // stdout holds the data: the summary goes to stderr.
        io.stderr(`${JSON.stringify(summary)}\n`);
        return undefined;
      }
      return summary;
    },
  },
  {
    name: 'backup',
    usage: 'backup [--output FILE]',
    summary: 'A consistent copy of the embedded database (gzip tar), also while the service runs.',
    help: 'On PostgreSQL use pg_dump (see the README, "Backup"). Restore with `restore FILE` while nothing runs.',
    options: { output: { type: 'string' } },
    validate: (_v, p) => exactly(p, 0, ''),
    run: async ({ backend, values, cwd }) => {
      const file = resolvePath(
        cwd,
        opt(values, 'output') ?? `roster-backup-${new Date().toISOString().replace(/[:.]/g, '-')}.tar.gz`,
      );
      const stream = await backend.backup();
      const out = createWriteStream(file, { mode: 0o600 });
      await pipeline(Readable.fromWeb(stream as Parameters<typeof Readable.fromWeb>[0]), out);
      return { file, bytes: out.bytesWritten, via: backend.mode === 'remote' ? backend.target : 'the database' };
    },
  },
  {
    name: 'restore',
    usage: 'restore FILE [--force]',
    summary: 'Put a backup back as the embedded database in DATA_DIR (nothing may hold it).',
    help: 'A DATA_DIR that already holds a database is refused unless --force, which moves it aside (never deletes it).',
    options: { force: { type: 'boolean' } },
    offline: () => true,
    validate: (_v, p) => exactly(p, 1, 'one backup FILE'),
    run: async ({ config, positionals, values, cwd }) => {
      if (!embeddedOnDisk(config)) {
        throw new ScimError(
          409,
          'restore is for the embedded database; on PostgreSQL use pg_restore (see the README, "Backup").',
        );
      }
      const archive = new Blob([await readFile(resolvePath(cwd, positionals[0]))]);
      const result = await restoreDataDir(resolvePath(cwd, config.database.dataDir), archive, {
        force: values.force === true,
      });
      return {
        dataDir: result.dataDir,
        previous: result.previous,
        migrationsApplied: result.migrations.applied,
      };
    },
  },
];

/**
 * `events tail`: pages through the feed with its cursor, printing each event as one line of JSON.
 * With --follow it then polls every --interval seconds (default 2) until interrupted or until
 * --limit events were printed; the cursor makes a restart lossless (stderr names it on exit).
 */
async function tailEvents({ backend, values, io }: CommandContext): Promise<undefined> {
  const follow = values.follow === true;
  const limit = opt(values, 'limit') === undefined ? undefined : Number(opt(values, 'limit'));
  const interval = Number(opt(values, 'interval') ?? '2') * 1000;
  const filters: Record<string, string> = {};
  for (const [option, parameter] of [
    ['type', 'type'],
    ['resource-id', 'resourceId'],
    ['actor', 'actor'],
    ['since', 'since'],
  ] as const) {
    const value = opt(values, option);
    if (value !== undefined) {
      filters[parameter] = value;
    }
  }
  let cursor = opt(values, 'cursor') ?? '';
  if (!cursor && !filters.since) {
    // Like tail: start near the end, not at the oldest event kept.
    cursor = await startNearEnd(backend, filters, follow ? 0 : (limit ?? 10));
  }
  let printed = 0;
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once('SIGINT', stop);
  try {
    for (;;) {
      const page = await backend.events({ ...filters, cursor, count: '1000' });
      for (const event of page.Resources) {
        io.stdout(`${JSON.stringify(event)}\n`);
        printed++;
        if (limit !== undefined && printed >= limit) {
          io.stderr(`cursor ${String(event.id)}\n`);
          return undefined;
        }
      }
      cursor = page.nextCursor;
      if (page.Resources.length === 0) {
        if (!follow || stopped) {
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, interval));
        if (stopped) {
          break;
        }
      }
    }
  } finally {
    process.removeListener('SIGINT', stop);
  }
  io.stderr(`cursor ${cursor}\n`);
  return undefined;
}

/** The cursor before the newest `keep` events matching the filters (the feed's end when keep is 0). */
async function startNearEnd(backend: Backend, filters: Record<string, string>, keep: number): Promise<string> {
  const newest = await backend.events({ ...filters, sortOrder: 'descending', count: String(Math.max(keep, 1)) });
  const ids = newest.Resources.map((e) => BigInt(String(e.id)));
  if (!ids.length) {
    return '';
  }
  return keep === 0 ? ids[0].toString() : (ids[ids.length - 1] - 1n).toString();
}

/** `--events a,b` (or `*`) as the API's event_types. */
function eventTypesOption(values: Record<string, unknown>): string[] | undefined {
  const text = opt(values, 'events');
  return text === undefined
    ? undefined
    : text
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
}

const webhookRow = (w: Record<string, unknown>) => ({
  id: w.id,
  url: w.url,
  events: (w.event_types as string[] | undefined)?.join(','),
  enabled: w.enabled,
  cursor: w.cursor,
  failures: w.consecutive_failures,
  disabled: w.disabled_reason ?? undefined,
});

function oneId(_v: Record<string, unknown>, p: string[]): void {
  exactly(p, 1, 'exactly one subscription ID');
}

/** `webhooks …`: subscriptions through WebhooksService (the management API or the database), like the other commands. */
function webhookCommands(): Command[] {
  return [
    {
      name: 'webhooks create',
      usage:
        'webhooks create --url URL [--events T1,T2|*] [--format standard-webhooks|secevent] [--description TEXT] [--disabled]',
      summary: 'Subscribe a URL to events (Standard Webhooks); the signing secret is shown once.',
      help:
        'https only (http for loopback hosts with WEBHOOKS_ALLOW_HTTP_LOOPBACK=true); --events defaults to every type; ' +
        '--format secevent pushes SCIM security events as signed SETs (RFC 8935) instead.',
      options: {
        url: { type: 'string' },
        events: { type: 'string' },
        format: { type: 'string' },
        description: { type: 'string' },
        disabled: { type: 'boolean' },
      },
      validate: (values, positionals) => {
        required(values, 'url');
        exactly(positionals, 0, '');
      },
      run: ({ backend, values }) =>
        backend.createWebhook({
          url: opt(values, 'url'),
          ...(eventTypesOption(values) ? { event_types: eventTypesOption(values) } : {}),
          ...(opt(values, 'format') !== undefined ? { format: opt(values, 'format') } : {}),
          ...(opt(values, 'description') !== undefined ? { description: opt(values, 'description') } : {}),
          ...(values.disabled === true ? { enabled: false } : {}),
        }),
    },
    {
      name: 'webhooks list',
      usage: 'webhooks list',
      summary: 'Webhook subscriptions with their delivery state (never their secrets).',
      validate: (_v, p) => exactly(p, 0, ''),
      run: async ({ backend }) => ({ webhooks: await backend.listWebhooks() }),
      table: (o) => (o as { webhooks: Record<string, unknown>[] }).webhooks.map(webhookRow),
    },
    {
      name: 'webhooks show',
      usage: 'webhooks show ID',
      summary: 'One subscription: settings, cursor, failure counters, disabled reason.',
      validate: oneId,
      run: ({ backend, positionals }) => backend.getWebhook(positionals[0]),
    },
    {
      name: 'webhooks update',
      usage:
        'webhooks update ID [--url URL] [--events T1,T2|*] [--description TEXT] [--enable|--disable] [--rotate-secret]',
      summary: 'Change a subscription; --enable clears its failures; --rotate-secret shows a new secret once.',
      help: 'After --rotate-secret the previous secret also signs deliveries for 24 hours (two signatures).',
      options: {
        url: { type: 'string' },
        events: { type: 'string' },
        description: { type: 'string' },
        enable: { type: 'boolean' },
        disable: { type: 'boolean' },
        'rotate-secret': { type: 'boolean' },
      },
      validate: (values, positionals) => {
        oneId(values, positionals);
        if (values.enable === true && values.disable === true) {
          throw usageError('Give --enable or --disable, not both.');
        }
        const changes = ['url', 'events', 'description', 'enable', 'disable', 'rotate-secret'];
        if (!changes.some((name) => values[name] !== undefined)) {
          throw usageError(`Nothing to change: give one of ${changes.map((c) => `--${c}`).join(', ')}.`);
        }
      },
      run: async ({ backend, values, positionals }) => {
        const id = positionals[0];
        const body: Record<string, unknown> = {
          ...(opt(values, 'url') !== undefined ? { url: opt(values, 'url') } : {}),
          ...(eventTypesOption(values) ? { event_types: eventTypesOption(values) } : {}),
          ...(opt(values, 'description') !== undefined ? { description: opt(values, 'description') } : {}),
          ...(values.enable === true ? { enabled: true } : {}),
          ...(values.disable === true ? { enabled: false } : {}),
        };
        let result: Record<string, unknown> = Object.keys(body).length
          ? { ...(await backend.updateWebhook(id, body)) }
          : {};
        if (values['rotate-secret'] === true) {
          result = { ...(await backend.rotateWebhookSecret(id)) };
        }
        return result;
      },
    },
    {
      name: 'webhooks delete',
      usage: 'webhooks delete ID',
      summary: 'Delete a subscription and its delivery log.',
      validate: oneId,
      run: async ({ backend, positionals }) => {
        await backend.deleteWebhook(positionals[0]);
        return { id: positionals[0], deleted: true };
      },
    },
    {
      name: 'webhooks replay',
      usage: 'webhooks replay ID --from EVENT_ID',
      summary: 'Deliver again every event from EVENT_ID on (the id GET /v2/Events and `events tail` show), in order.',
      options: { from: { type: 'string' } },
      validate: (values, positionals) => {
        oneId(values, positionals);
        if (!/^[1-9][0-9]{0,18}$/.test(required(values, 'from'))) {
          throw usageError('--from takes an event id (a positive integer).');
        }
      },
      run: ({ backend, values, positionals }) => backend.replayWebhook(positionals[0], String(values.from)),
    },
    {
      name: 'webhooks deliveries',
      usage: 'webhooks deliveries ID [--status pending|succeeded|failed] [--limit N] [--cursor C]',
      summary: "A subscription's delivery log, newest first: status, attempts, last error, latency.",
      options: { status: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
      validate: (values, positionals) => {
        oneId(values, positionals);
        const limit = opt(values, 'limit');
        if (limit !== undefined && !/^[1-9][0-9]{0,2}$/.test(limit)) {
          throw usageError('--limit takes a positive integer (at most 100).');
        }
      },
      run: ({ backend, values, positionals }) =>
        backend.webhookDeliveries(positionals[0], {
          ...(opt(values, 'status') !== undefined ? { status: opt(values, 'status')! } : {}),
          ...(opt(values, 'limit') !== undefined ? { count: opt(values, 'limit')! } : {}),
          ...(opt(values, 'cursor') !== undefined ? { cursor: opt(values, 'cursor')! } : {}),
        }),
      table: (o) =>
        (o as { deliveries: Record<string, unknown>[] }).deliveries.map((d) => ({
          event: d.event_id,
          type: d.event_type,
          status: d.status,
          attempts: d.attempts,
          code: d.last_status_code,
          ms: d.latency_ms,
          error: d.last_error,
        })),
    },
  ];
}
