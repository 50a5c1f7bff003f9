// `npm start`: builds when the sources are newer than the build, then runs the service.
import { spawn } from 'node:child_process';
import { distEntry, ensureBuilt, root } from './lib/build.mjs';

ensureBuilt();
// V8 sizes its heap by the machine's memory; the service's live set is ~50 MiB whatever the
// directory's size, so a bounded heap keeps RSS low under load (docs/benchmarks.md). NODE_OPTIONS
// set by the operator wins.
const heap = /--max-old-space-size/.test(process.env.NODE_OPTIONS ?? '') ? [] : ['--max-old-space-size=128'];
const child = spawn(process.execPath, [...heap, distEntry('main')], { cwd: root, stdio: 'inherit' });
// Pass stop signals on, so that the service shuts down gracefully.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
