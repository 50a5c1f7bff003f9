#!/usr/bin/env node
// Prints Markdown tables from bench/results/users.jsonl and groups.jsonl, one per run (newest
// last), for docs/benchmarks.md. Runs can be picked by label.
//
//   node bench/summarize.mjs [--label baseline-current,proposed-current] [--last 2]
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { RESULTS_DIR } from './lib/common.mjs';

const { values } = parseArgs({
  options: {
    label: { type: 'string', default: '' },
    last: { type: 'string', default: '0' },
  },
});

function runs(name) {
  const file = join(RESULTS_DIR, `${name}.jsonl`);
  if (!existsSync(file)) {
    return [];
  }
  let list = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  if (values.label) {
    const labels = new Set(values.label.split(','));
    list = list.filter((r) => labels.has(r.label));
  }
  const last = Number(values.last);
  return last > 0 ? list.slice(-last) : list;
}

const out = (line = '') => process.stdout.write(`${line}\n`);
const fmt = (v, digits = 1) => (typeof v === 'number' ? v.toFixed(digits) : '–');

for (const run of runs('users')) {
  out(`### users — ${run.label || '(no label)'} — ${run.startedAt} — ${run.revision}`);
  out();
  out(
    '| users | scenario | conn | req/s | p50 ms | p90 ms | p99 ms | non-2xx | RSS max MiB | RSS after MiB | load 1m |',
  );
  out('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const size of run.results) {
    for (const [name, s] of Object.entries(size.scenarios)) {
      if (s.skipped) {
        out(`| ${size.users} | ${name} | | skipped: ${s.skipped} | | | | | | | |`);
        continue;
      }
      out(
        `| ${size.users} | ${name} | ${s.connections} | ${fmt(s.rps)} | ${fmt(s.latencyMs.p50, 2)} | ${fmt(s.latencyMs.p90, 2)} | ` +
          `${fmt(s.latencyMs.p99, 2)} | ${s.non2xx} | ${fmt(s.rssMiB.maxDuring)} | ${fmt(s.rssMiB.after)} | ${fmt(s.loadAverage1m, 2)} |`,
      );
    }
  }
  out();
  for (const size of run.results) {
    out(
      `- ${size.users} users: RSS at start ${size.rssMiB.atStart} MiB, at end ${size.rssMiB.atEnd} MiB, peak (VmHWM) ${size.rssMiB.peak} MiB`,
    );
  }
  const t = run.targets;
  out(
    `- target filter-eq p50 ratio: ${t.filterEqP50Ratio.value} (${t.filterEqP50Ratio.met ? 'met' : 'missed'}; ${t.filterEqP50Ratio.target})`,
  );
  out(`- target RSS: ${t.rss.valueMiB} MiB (${t.rss.met ? 'met' : 'missed'}; ${t.rss.target})`);
  out();
}

for (const run of runs('groups')) {
  out(`### groups — ${run.label || '(no label)'} — ${run.startedAt} — ${run.revision}`);
  if (run.options.setupSql) {
    out(`(with \`${run.options.setupSql}\`)`);
  }
  out();
  out(
    '| group | members | add 1,000 (median ms) | remove those 1,000 | remove 1,000 scattered (samples) | remove 1 by filter |',
  );
  out('|---|---:|---:|---:|---:|---:|');
  for (const c of run.memberChanges) {
    out(
      `| ${c.group} | ${c.members} | ${fmt(c.addMs.median)} | ${fmt(c.removeMs.median)} | ` +
        `${fmt(c.removeScatteredMs?.median)} (${c.removeScatteredMs?.samples ?? '–'}) | ${fmt(c.removeOneByFilterMs.median)} |`,
    );
  }
  out();
  for (const [key, r] of Object.entries(run.getExcluded)) {
    out(
      `- GET ?excludedAttributes=members (${key}): ${fmt(r.rps)} req/s, p50 ${fmt(r.latencyMs.p50, 2)} ms, p99 ${fmt(r.latencyMs.p99, 2)} ms`,
    );
  }
  for (const [index, f] of run.getFull.entries()) {
    out(
      `- GET full #${index + 1}: ${fmt(f.ms)} ms, ${f.bytes} bytes (${f.documentMiB} MiB), RSS ${f.rssBeforeMiB} → ${f.rssPeakMiB} MiB ` +
        `(+${f.rssGrowthMiB} MiB, ${f.growthPerDocument}× the document)`,
    );
  }
  for (const [key, t] of Object.entries(run.targets)) {
    out(`- target ${key}: ${JSON.stringify(t)}`);
  }
  out();
}
