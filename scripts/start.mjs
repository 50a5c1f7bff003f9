// `npm start`: builds when the sources are newer than the build, then runs the service.
import { spawn } from 'node:child_process';
import { distEntry, ensureBuilt, root } from './lib/build.mjs';
import { serviceEnv, serviceNodeArgs } from './lib/service-runtime.mjs';

ensureBuilt();
const child = spawn(process.execPath, [...serviceNodeArgs(), distEntry('main')], {
  cwd: root,
  env: serviceEnv(),
  stdio: 'inherit',
});
// Pass stop signals on, so that the service shuts down gracefully.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
