// How `npm start` runs the service's Node process; bench/compare.mjs --npm-start runs it the same way.

/**
 * Node flags. V8 sizes its heap by the machine's memory, but the service's live set is ~50 MiB
 * whatever the directory's size: a bounded old generation, and young semi-spaces of 4 MiB rather
 * than 16, keep RSS low under load (docs/benchmarks.md, "Memory"). A flag in the operator's
 * NODE_OPTIONS wins.
 */
export function serviceNodeArgs(env = process.env) {
  const options = env.NODE_OPTIONS ?? '';
  return [
    ...(/--max-old-space-size/.test(options) ? [] : ['--max-old-space-size=128']),
    ...(/--max-semi-space-size/.test(options) ? [] : ['--max-semi-space-size=4']),
  ];
}

/** Environment: two glibc malloc arenas instead of one per thread (~25 MiB less); the operator's value wins. */
export function serviceEnv(env = process.env) {
  return { ...env, MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? '2' };
}
