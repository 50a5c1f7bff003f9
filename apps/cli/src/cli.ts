import { ScimError } from '@roster/scim';
import { DataDirLockedError } from '@roster/db';
import { parseArgs, ParseArgsConfig } from 'node:util';
import pino from 'pino';
import { ConfigError, loadConfig } from '../../api/src/config';
import { createLogger } from '../../api/src/logger';
import { readDotEnv } from '../../api/src/ops/dotenv';
import { EXIT } from '../../api/src/ops/exit-codes';
import { versionInfo } from '../../api/src/ops/version';
import { Backend, connect, ResourceKind, UnavailableError } from './backend';
import { COMMANDS, Command, CommandContext } from './commands';
import { renderTable } from './table';
import { UsageError } from './usage-error';

export interface CliIo {
  env: Record<string, string | undefined>;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal (progress bars redraw in place there). */
  interactive?: boolean;
  /** Working directory for relative paths and `.env`. */
  cwd?: string;
}

export { UsageError };

const processIo: CliIo = {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY,
};

export function usage(): string {
  return [
    'Usage: npm run cli -- <command> [options]   (`npm run cli -- <command> --help` for one command)',
    '',
    'Commands:',
    ...COMMANDS.flatMap((c) => [`  ${c.usage}`, `      ${c.summary}`]),
    '',
    'Options for every command:',
    '  --format json|table   output: JSON (default, for scripts) or a table (for people)',
    "  --help                the command's own options",
    '  --version             the version of Roster',
    '',
    'With the embedded database, a running service is reached through its management API (it writes its',
    'URL and a local credential, mode 0600, into DATA_DIR); the database is opened directly only when no',
    'process holds it. ROSTER_URL and ROSTER_TOKEN name a service to use instead. On PostgreSQL the command',
    'line uses the database of the environment, beside running instances.',
    '',
    `Exit codes: ${EXIT.ok} done, ${EXIT.refused} refused (or failed rows), ${EXIT.usage} usage, ${EXIT.unavailable} unreachable or in use, ` +
      `${EXIT.io} file error, ${EXIT.config} configuration.`,
  ].join('\n');
}

function commandHelp(command: Command): string {
  return [
    `Usage: npm run cli -- ${command.usage}`,
    '',
    command.summary,
    ...(command.help ? ['', command.help] : []),
  ].join('\n');
}

/** The command whose words start argv (`tokens create`, `import`), and the remaining arguments. */
function findCommand(argv: string[]): { command?: Command; rest: string[] } {
  for (const command of [...COMMANDS].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)) {
    const words = command.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) {
      return { command, rest: argv.slice(words.length) };
    }
  }
  return { rest: argv };
}

/**
 * Runs one command. Answers the process exit code (see `EXIT`): 0 done, 1 refused, 2 usage,
 * 69 unreachable or in use, 74 file error, 78 configuration.
 */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  if (argv.length === 0) {
    io.stderr(`${usage()}\n`);
    return EXIT.usage;
  }
  if (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version') {
    io.stdout(`${versionInfo().version}\n`);
    return EXIT.ok;
  }
  if (argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    const { command } = findCommand(argv.slice(1));
    io.stdout(`${command ? commandHelp(command) : usage()}\n`);
    return EXIT.ok;
  }
  const { command, rest } = findCommand(argv);
  const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
  if (!command && group.length && (argv[1] === '--help' || argv[1] === '-h' || argv[1] === undefined)) {
    // `tokens --help`: the group's commands.
    io[argv[1] ? 'stdout' : 'stderr'](`${group.map((c) => `  ${c.usage}\n      ${c.summary}`).join('\n')}\n`);
    return argv[1] ? EXIT.ok : EXIT.usage;
  }
  if (!command) {
    const known = group.length > 0;
    io.stderr(
      `Unknown command "${argv.slice(0, known ? 2 : 1).join(' ')}".${
        known
          ? `\n\n${COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `))
              .map((c) => `  ${c.usage}`)
              .join('\n')}`
          : `\n\n${usage()}`
      }\n`,
    );
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${commandHelp(command)}\n`);
    return EXIT.ok;
  }

  let parsed: { values: Record<string, unknown>; positionals: string[] };
  let format: 'json' | 'table';
  try {
    const options: ParseArgsConfig['options'] = { ...command.options, format: { type: 'string' } };
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
    const requested = parsed.values.format ?? 'json';
    if (requested !== 'json' && requested !== 'table') {
      throw new UsageError('--format takes json or table.');
    }
    format = requested;
    command.validate?.(parsed.values, parsed.positionals);
  } catch (error) {
    // Node's own errors come from another realm under jest: test the code, not the class.
    if (error instanceof UsageError || `${(error as { code?: string })?.code}`.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`${(error as Error).message}\n\n${commandHelp(command)}\n`);
      return EXIT.usage;
    }
    throw error;
  }

  let config;
  let env: Record<string, string | undefined>;
  try {
    env = readDotEnv(io.env, io.cwd).env;
    // The command line is quiet unless asked otherwise: its output is on stdout.
    config = loadConfig({ LOG_LEVEL: 'warn', ...env });
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return EXIT.config;
    }
    io.stderr(`${(error as Error).message}\n`);
    return EXIT.config;
  }
  const logger = createLogger(config.logLevel, pino.destination({ dest: 2, sync: true }));

  const context: CommandContext = {
    values: parsed.values,
    positionals: parsed.positionals,
    io,
    config,
    cwd: io.cwd ?? process.cwd(),
    backend: undefined as unknown as Backend,
  };
  let backend: Backend | undefined;
  try {
    if (command.offline?.(parsed.values)) {
      const result = await command.run(context);
      return emit(io, format, command, result);
    }
    backend = await connect({
      config,
      env,
      logger,
      openLocal: async () => {
        // Loaded only here: a command sent to a running service needs no Nest, Prisma or PGlite.
        const { openLocalContext } = await import('./local-context');
        return openLocalContext(config, logger);
      },
    });
    context.backend = backend;
    const result = await command.run(context);
    return emit(io, format, command, result);
  } catch (error) {
    return failure(io, error);
  } finally {
    await backend?.close();
  }
}

function emit(io: CliIo, format: 'json' | 'table', command: Command, result: unknown): number {
  if (result && typeof result === 'object' && 'exitCode' in result && 'output' in result) {
    const { output, exitCode } = result as { output: unknown; exitCode: number };
    print(io, format, command, output);
    return exitCode;
  }
  print(io, format, command, result);
  return EXIT.ok;
}

function print(io: CliIo, format: 'json' | 'table', command: Command, output: unknown): void {
  if (output === undefined) {
    return;
  }
  if (format === 'table') {
    io.stdout(`${renderTable(command.table?.(output) ?? output)}\n`);
    return;
  }
  io.stdout(`${JSON.stringify(output, null, 2)}\n`);
}

function failure(io: CliIo, error: unknown): number {
  if (error instanceof ScimError) {
    io.stderr(
      `${JSON.stringify({ error: error.detail, status: error.status, ...(error.scimType ? { scimType: error.scimType } : {}) }, null, 2)}\n`,
    );
    return error.status === 503 ? EXIT.unavailable : EXIT.refused;
  }
  if (error instanceof UsageError) {
    io.stderr(`${error.message}\n`);
    return EXIT.usage;
  }
  if (
    error instanceof UnavailableError ||
    error instanceof DataDirLockedError ||
    (error as Error)?.name === 'DataDirLockedError'
  ) {
    io.stderr(`${(error as Error).message}\n`);
    return EXIT.unavailable;
  }
  const code = (error as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string' && ['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR', 'EEXIST'].includes(code)) {
    io.stderr(`${(error as Error).message}\n`);
    return EXIT.io;
  }
  throw error;
}

export type { ResourceKind };
