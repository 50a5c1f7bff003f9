import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface VersionInfo {
  name: string;
  version: string;
  node: string;
}

let cached: VersionInfo | undefined;

/** Roster's version, from the package.json above this file (src/ in development, dist/ when built). */
export function versionInfo(): VersionInfo {
  if (cached) {
    return cached;
  }
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'roster') {
        cached = { name: 'roster', version: parsed.version ?? '0.0.0', node: process.versions.node };
        return cached;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      cached = { name: 'roster', version: '0.0.0', node: process.versions.node };
      return cached;
    }
    dir = parent;
  }
}
