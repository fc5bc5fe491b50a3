#!/usr/bin/env node
// The summary of scripts/bench-sync: reads the per-run reports of
// tertulia-loadgen (`<scenario>[-<repeat>]-<server>.json` in a directory),
// takes medians over repeats, prints tertulia | sharedb | ratio and writes
// the summary as JSON.
//
//   node js/bench/report.mjs target/bench-sync target/bench-sync.json
//
// A run that failed is a file `{"failed": true, "error": "…"}`.

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { join } from 'node:path';

const [dir, outFile] = process.argv.slice(2);
if (!dir || !outFile) throw new Error('usage: report.mjs <runs-dir> <out.json>');

const SERVERS = ['tertulia', 'sharedb'];

// scenario -> server -> [report]
const runs = {};
for (const file of readdirSync(dir).sort()) {
  const m = /^([a-z]+)(?:-(\d+))?-(tertulia|sharedb)\.json$/.exec(file);
  if (!m) continue;
  const [, scenario, repeat, server] = m;
  let report;
  try {
    report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  } catch (error) {
    report = { failed: true, error: `unreadable ${file}: ${error.message}` };
  }
  report.repeat = repeat == null ? null : Number(repeat);
  ((runs[scenario] ??= {})[server] ??= []).push(report);
}

const mib = (kib) => (kib == null ? null : kib / 1024);
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

// Per scenario: [label, how to read one report, how to combine repeats,
// whether higher is better]. Repeats combine by median unless said.
// The load generator's own CPU per committed op in the measured window: it
// shares the machine's cores with the server, so what it spends is taken
// from the server it measures.
const loadgenCpuPerOp = (r) =>
  r.loadgen_cpu_s != null && r.ops_per_sec > 0
    ? Math.round((r.loadgen_cpu_s * 1e6) / (r.ops_per_sec * r.duration_s) * 100) / 100
    : undefined;

const METRICS = {
  throughput: {
    title: (r, n) =>
      `(a) max throughput: ${r.clients} clients on ${r.docs} docs, next op on ack, ` +
      `${r.warmup_s} s warmup + ${r.duration_s} s, median of ${n}`,
    rows: [
      ['committed ops/s', (r) => r.ops_per_sec, median, true],
      ['submit→ack p50 ms', (r) => r.ack_latency.p50_ms, median, false],
      ['submit→ack p99 ms', (r) => r.ack_latency.p99_ms, median, false],
      ['submit→peer p50 ms', (r) => r.broadcast_latency.p50_ms, median, false],
      ['submit→peer p99 ms', (r) => r.broadcast_latency.p99_ms, median, false],
      ['server CPU µs/op', (r) => r.server?.cpu_us_per_op, median, false],
      ['loadgen CPU µs/op', loadgenCpuPerOp, median, false],
      ['server RSS MiB (end)', (r) => mib(r.server?.rss_kib), median, false],
      ['errors (all runs)', (r) => r.errors, sum, false],
      ['missing broadcasts (all runs)', (r) => r.broadcasts_missing, sum, false],
      ['diverged docs (all runs)', (r) => r.diverged_docs, sum, false],
    ],
  },
  latency: {
    title: (r) => `(b) latency: ${r.clients} clients on ${r.docs} docs, ${r.rate} ops/s each, ${r.duration_s} s`,
    rows: [
      ['committed ops/s', (r) => r.ops_per_sec, median, true],
      ['submit→ack p50 ms', (r) => r.ack_latency.p50_ms, median, false],
      ['submit→ack p99 ms', (r) => r.ack_latency.p99_ms, median, false],
      ['submit→ack max ms', (r) => r.ack_latency.max_ms, median, false],
      ['submit→peer p50 ms', (r) => r.broadcast_latency.p50_ms, median, false],
      ['submit→peer p99 ms', (r) => r.broadcast_latency.p99_ms, median, false],
      ['submit→peer max ms', (r) => r.broadcast_latency.max_ms, median, false],
      ['server CPU µs/op', (r) => r.server?.cpu_us_per_op, median, false],
      ['loadgen CPU µs/op', loadgenCpuPerOp, median, false],
      // The load generator's own stalls: a latency outlier that coincides
      // with one was the machine's, at least in part, not the server's.
      ['loadgen lag max ms', (r) => r.loadgen_lag?.max_ms, median, false],
      ['server RSS MiB (end)', (r) => mib(r.server?.rss_kib), median, false],
      ['errors', (r) => r.errors, sum, false],
      ['missing broadcasts', (r) => r.broadcasts_missing, sum, false],
    ],
  },
  idle: {
    title: (r) => `(c) idle: ${r.clients} connections on ${r.docs} docs (handshake + subscribe), held ${r.duration_s} s`,
    rows: [
      ['connected', (r) => r.connected, median, true],
      ['setup s', (r) => r.setup_s, median, false],
      ['server RSS MiB (all connected)', (r) => mib(r.server?.rss_kib), median, false],
      ['server RSS MiB (before)', (r) => mib(r.server?.rss_start_kib), median, false],
      [
        'server KiB per connection',
        (r) => (r.server?.rss_kib != null && r.connected ? (r.server.rss_kib - r.server.rss_start_kib) / r.connected : null),
        median,
        false,
      ],
      ['server peak RSS MiB', (r) => mib(r.server?.hwm_kib), median, false],
      ['errors', (r) => r.errors, sum, false],
    ],
  },
};

function fmt(x) {
  if (x == null) return '—';
  if (Number.isInteger(x)) return String(x);
  if (Math.abs(x) >= 1000) return x.toFixed(0);
  if (Math.abs(x) >= 100) return x.toFixed(1);
  return x.toFixed(2);
}

const summary = {
  generated_at: new Date().toISOString(),
  host: { cpus: cpus().length, loadavg_1m: loadavg()[0] },
  ratio: 'tertulia / sharedb',
  scenarios: {},
};
const lines = [];
const header = `${'metric'.padEnd(34)}${'tertulia'.padStart(12)}${'sharedb'.padStart(12)}${'ratio'.padStart(9)}`;
for (const [scenario, spec] of Object.entries(METRICS)) {
  const byServer = runs[scenario];
  if (!byServer) continue;
  const all = SERVERS.flatMap((server) => byServer[server] ?? []);
  const sample = all.find((r) => !r.failed);
  const repeats = Math.max(...SERVERS.map((server) => (byServer[server] ?? []).length));
  const title = sample ? spec.title(sample, repeats) : `(${scenario}) every run failed`;
  lines.push('', title, header);
  const out = (summary.scenarios[scenario] = { title, metrics: {}, runs: {} });
  for (const server of SERVERS) {
    out.runs[server] = byServer[server] ?? [];
  }
  for (const [label, get, combine, higherIsBetter] of spec.rows) {
    const value = {};
    for (const server of SERVERS) {
      const ok = (byServer[server] ?? []).filter((r) => !r.failed);
      const values = ok.map((r) => get(r)).filter((x) => x != null);
      value[server] = values.length ? combine(values) : null;
    }
    const ratio = value.tertulia != null && value.sharedb ? value.tertulia / value.sharedb : null;
    out.metrics[label] = { ...value, ratio, higher_is_better: higherIsBetter };
    const r = ratio == null ? '—' : `${ratio.toFixed(2)}×`;
    lines.push(`  ${label.padEnd(32)}${fmt(value.tertulia).padStart(12)}${fmt(value.sharedb).padStart(12)}${r.padStart(9)}`);
  }
  if (scenario === 'throughput') {
    // The same repeat's two runs came back to back, so their ratio shares
    // the machine's state of that minute; the spread of these ratios shows
    // how far the headline (a ratio of medians) could move with the host.
    const ops = (server, n) => byServer[server]?.find((r) => r.repeat === n && !r.failed)?.ops_per_sec;
    const ratios = [...new Set(all.map((r) => r.repeat))]
      .filter((n) => n != null)
      .sort((a, b) => a - b)
      .map((n) => ops('tertulia', n) / ops('sharedb', n))
      .filter(Number.isFinite);
    if (ratios.length) {
      const pr = (out.pair_ratios = { ratios, median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) });
      lines.push(
        `  ops/s ratio of each repeat's pair: ${ratios.map((r) => `${r.toFixed(2)}×`).join(' ')}`,
        `    median ${pr.median.toFixed(2)}×, lowest ${pr.min.toFixed(2)}×, highest ${pr.max.toFixed(2)}×`,
      );
    }
  }
  for (const server of SERVERS) {
    for (const failed of (byServer[server] ?? []).filter((r) => r.failed)) {
      lines.push(`  ! ${server} run failed: ${failed.error}`);
    }
  }
}
lines.push('', 'ratio = tertulia ÷ sharedb (above 1 is better for ops/s and connected; below 1 for the rest)');
console.log(lines.join('\n'));
writeFileSync(outFile, JSON.stringify(summary, null, 2) + '\n');
console.log(`\nwrote ${outFile}`);
