// How `npm start` runs the service's Node process; bench/compare.mjs --npm-start runs it the same way.

/**
 * Node flags: V8 sizes its heap by the machine's memory, but the service's live set is ~50 MiB
 * whatever the directory's size, so a bounded old generation keeps RSS low under load
 * (docs/benchmarks.md). A --max-old-space-size in the operator's NODE_OPTIONS wins.
 */
export function serviceNodeArgs(env = process.env) {
  return /--max-old-space-size/.test(env.NODE_OPTIONS ?? '') ? [] : ['--max-old-space-size=128'];
}
