import { NestFactory } from '@nestjs/core';
import { ScimError } from '@roster/scim';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ApiTokensService } from '../../api/src/auth/api-tokens.service';
import { OAuthClientsService } from '../../api/src/auth/clients.service';
import { UserGrantsService } from '../../api/src/auth/management/user-grants.service';
import { SigningKeysService } from '../../api/src/auth/signing-keys.service';
import { ConfigError, loadConfig } from '../../api/src/config';
import { createLogger, PinoNestLogger } from '../../api/src/logger';
import { CliModule } from './cli.module';

export const USAGE = `Usage: npm run cli -- <command> [options]   (every command prints JSON)

  tokens create --name NAME --scope "scim.read scim.write" [--expires-in SECONDS] [--mcp]
                [--rate-limit PER_MINUTE]
                        an API token, e.g. the secret token for Entra ID or Okta (shown once);
                        --rate-limit caps its SCIM requests a minute (429 with Retry-After beyond)
  tokens list           active API tokens, with their last use
  tokens revoke ID

  clients create --name NAME [--grant-type TYPE]... [--scope SCOPES] [--auth-method METHOD]
                 [--jwks-file FILE | --jwks JSON | --jwks-uri URL]
                        an OAuth client; TYPE: client_credentials (default) or
                        urn:ietf:params:oauth:grant-type:jwt-bearer; METHOD: private_key_jwt,
                        client_secret_basic or client_secret_post (a secret is shown once)
  clients list          registered clients; dynamically registered ones have "dynamic": true
  clients revoke ID     the client and every grant it holds

  grants list [--user USER_ID] [--client CLIENT_ID]
                        what users allowed OAuth clients (sign-in grants with refresh tokens)
  grants revoke ID      ends a grant: refresh tokens at once, access tokens within 30 s

  keys rotate           a new token signing key; the old one stays published until its tokens expire

It uses the database of the environment (DATABASE_URL or DATA_DIR), like the server. With the
embedded database, stop the server first or use the /admin HTTP API instead: only one process may
open the embedded database at a time.`;

export interface CliIo {
  env: Record<string, string | undefined>;
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Thrown for a command line that cannot be run; answered with the usage and exit code 2. */
class UsageError extends Error {}

const processIo: CliIo = {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * Runs one command against the services the HTTP API uses, in a Nest application context on the
 * configured database. Answers the process exit code: 0 done, 1 refused, 2 usage, 78 configuration.
 */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const [group, action, ...rest] = argv;
  if (!group) {
    io.stderr(`${USAGE}\n`);
    return 2;
  }
  if (group === 'help' || group === '--help' || group === '-h') {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  let config;
  try {
    // The CLI is quiet unless asked otherwise: its output is the JSON on stdout.
    config = loadConfig({ LOG_LEVEL: 'warn', ...io.env });
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return 78;
    }
    throw error;
  }
  let command: (context: Services) => Promise<unknown>;
  try {
    command = parseCommand(group, action, rest);
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      io.stderr(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, pino.destination({ dest: 2, sync: true }));
  const app = await NestFactory.createApplicationContext(CliModule.register(config), {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  try {
    const result = await command({
      tokens: app.get(ApiTokensService),
      clients: app.get(OAuthClientsService),
      keys: app.get(SigningKeysService),
      grants: app.get(UserGrantsService),
    });
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ScimError) {
      io.stderr(`${JSON.stringify({ error: error.detail, status: error.status }, null, 2)}\n`);
      return 1;
    }
    throw error;
  } finally {
    await app.close();
  }
}

interface Services {
  tokens: ApiTokensService;
  clients: OAuthClientsService;
  keys: SigningKeysService;
  grants: UserGrantsService;
}

function parseCommand(
  group: string,
  action: string | undefined,
  args: string[],
): (services: Services) => Promise<unknown> {
  const key = `${group} ${action ?? ''}`.trim();
  switch (key) {
    case 'tokens create': {
      const { values } = parseArgs({
        args,
        options: {
          name: { type: 'string' },
          scope: { type: 'string' },
          'expires-in': { type: 'string' },
          mcp: { type: 'boolean' },
          'rate-limit': { type: 'string' },
        },
      });
      const name = required(values.name, '--name');
      const scope = required(values.scope, '--scope');
      const expiresIn = values['expires-in'] === undefined ? undefined : Number(values['expires-in']);
      if (expiresIn !== undefined && !Number.isInteger(expiresIn)) {
        throw new UsageError('--expires-in takes a whole number of seconds.');
      }
      const rateLimit = values['rate-limit'] === undefined ? undefined : Number(values['rate-limit']);
      if (rateLimit !== undefined && !Number.isInteger(rateLimit)) {
        throw new UsageError('--rate-limit takes a whole number of requests per minute.');
      }
      return ({ tokens }) => tokens.create({ name, scope, expiresIn, mcp: values.mcp ?? false, rateLimit });
    }
    case 'tokens list':
      noArguments(args);
      return async ({ tokens }) => ({ tokens: await tokens.list() });
    case 'tokens revoke': {
      const id = single(args, 'ID');
      return async ({ tokens }) => {
        await tokens.revoke(id);
        return { id, revoked: true };
      };
    }
    case 'clients create': {
      const { values } = parseArgs({
        args,
        options: {
          name: { type: 'string' },
          'grant-type': { type: 'string', multiple: true },
          scope: { type: 'string' },
          'auth-method': { type: 'string' },
          jwks: { type: 'string' },
          'jwks-file': { type: 'string' },
          'jwks-uri': { type: 'string' },
        },
      });
      const name = required(values.name, '--name');
      if (values.jwks !== undefined && values['jwks-file'] !== undefined) {
        throw new UsageError('Give --jwks or --jwks-file, not both.');
      }
      const jwksText = values['jwks-file'] === undefined ? values.jwks : readFileSync(values['jwks-file'], 'utf8');
      let jwks: unknown;
      if (jwksText !== undefined) {
        try {
          jwks = JSON.parse(jwksText);
        } catch {
          throw new UsageError('The JWKS is not valid JSON.');
        }
      }
      return ({ clients }) =>
        clients.register({
          client_name: name,
          grant_types: values['grant-type'],
          scope: values.scope,
          token_endpoint_auth_method: values['auth-method'],
          jwks,
          jwks_uri: values['jwks-uri'],
        });
    }
    case 'clients list':
      noArguments(args);
      return async ({ clients }) => ({ clients: await clients.list() });
    case 'clients revoke': {
      const id = single(args, 'ID');
      return async ({ clients }) => {
        await clients.revoke(id);
        return { client_id: id, revoked: true };
      };
    }
    case 'grants list': {
      const { values } = parseArgs({ args, options: { user: { type: 'string' }, client: { type: 'string' } } });
      return async ({ grants }) => ({ grants: await grants.list({ userId: values.user, clientId: values.client }) });
    }
    case 'grants revoke': {
      const id = single(args, 'ID');
      return async ({ grants }) => {
        await grants.revoke(id);
        return { id, revoked: true };
      };
    }
    case 'keys rotate':
      noArguments(args);
      return ({ keys }) => keys.rotate();
    default:
      throw new UsageError(`Unknown command "${key}".`);
  }
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value.trim() === '') {
    throw new UsageError(`${flag} is required.`);
  }
  return value;
}

function single(args: string[], name: string): string {
  if (args.length !== 1 || args[0].startsWith('-')) {
    throw new UsageError(`Expected exactly one ${name}.`);
  }
  return args[0];
}

function noArguments(args: string[]): void {
  if (args.length) {
    throw new UsageError(`Unexpected arguments: ${args.join(' ')}`);
  }
}
