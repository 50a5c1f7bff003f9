// Preloaded into the server (`node --import <this file> ...`) only by diagnostic runs
// (users.mjs --probe-memory): every 500 ms it appends process.memoryUsage() as one JSON line to
// BENCH_MEMORY_PROBE_FILE, which splits RSS into the V8 heap, external memory and array buffers,
// without touching the application's code.
import { appendFileSync } from 'node:fs';
import process from 'node:process';

const file = process.env.BENCH_MEMORY_PROBE_FILE;
if (file) {
  const mib = (n) => Math.round((n / 1024 / 1024) * 10) / 10;
  const timer = globalThis.setInterval(() => {
    const usage = process.memoryUsage();
    appendFileSync(
      file,
      `${JSON.stringify({
        t: Date.now(),
        rss: mib(usage.rss),
        heapTotal: mib(usage.heapTotal),
        heapUsed: mib(usage.heapUsed),
        external: mib(usage.external),
        arrayBuffers: mib(usage.arrayBuffers),
      })}\n`,
    );
  }, 500);
  timer.unref();
}
