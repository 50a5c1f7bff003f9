import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';

export interface DotEnv {
  /** The environment to configure from: the process's, completed by the file. */
  env: Record<string, string | undefined>;
  /** The file that was read, if any. */
  file?: string;
  /** Names of the variables the file supplied (never their values). */
  applied: string[];
}

/**
 * Reads `.env` from the working directory when there is one (or the file `ROSTER_ENV_FILE` names).
 * Precedence: a variable set in the environment wins over the file; the file wins over defaults.
 */
export function readDotEnv(env: Record<string, string | undefined>, cwd: string = process.cwd()): DotEnv {
  const named = env.ROSTER_ENV_FILE;
  const file = resolve(cwd, named ?? '.env');
  if (!existsSync(file)) {
    if (named) {
      throw new Error(`ROSTER_ENV_FILE names ${file}, which does not exist.`);
    }
    return { env, applied: [] };
  }
  const parsed = parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
  const applied = Object.keys(parsed).filter((name) => env[name] === undefined);
  return { env: { ...Object.fromEntries(applied.map((name) => [name, parsed[name]])), ...env }, file, applied };
}
