// Runs the benchmark suites: `npm run bench` for all, `npm run bench -- <suite> ...` for some.
// Each suite's figures are printed and written to bench/results/<suite>.json.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchSuite, SuiteResult } from './suite.js';

const here = dirname(fileURLToPath(import.meta.url));
// dist/bench/run.js → <repo>/bench/results
const resultsDir = resolve(here, '../../bench/results');

async function loadSuites(): Promise<BenchSuite[]> {
  const files = readdirSync(here).filter((f) => f.endsWith('.bench.js')).sort();
  return Promise.all(files.map(async (f) => ((await import(join(here, f))) as { suite: BenchSuite }).suite));
}

function report(result: SuiteResult): string {
  const lines = ['  figure                         median ms     p90 ms     p99 ms     n'];
  for (const [name, s] of Object.entries(result.figures)) {
    lines.push(`  ${name.padEnd(30)} ${s.median.toFixed(2).padStart(9)} ${s.p90.toFixed(2).padStart(10)} ${s.p99.toFixed(2).padStart(10)} ${String(s.n).padStart(5)}`);
  }
  for (const [name, r] of Object.entries(result.ratios)) lines.push(`  ratio ${name}: ${r.toFixed(2)}×`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const all = await loadSuites();
  const unknown = wanted.filter((w) => !all.some((s) => s.name === w));
  if (unknown.length) throw new Error(`no bench suite ${unknown.join(', ')}; have ${all.map((s) => s.name).join(', ')}`);
  const suites = wanted.length ? all.filter((s) => wanted.includes(s.name)) : all;
  mkdirSync(resultsDir, { recursive: true });
  for (const suite of suites) {
    console.log(`== ${suite.name}: ${suite.description}`);
    const result = await suite.run({ progress: (m) => console.log(`  [${suite.name}] ${m}`) });
    console.log(report(result));
    const file = join(resultsDir, `${suite.name}.json`);
    const machine = { hostname: hostname(), cpus: cpus().length, node: process.version };
    writeFileSync(file, JSON.stringify({ suite: suite.name, description: suite.description, at: new Date().toISOString(), machine, ...result }, null, 2) + '\n');
    console.log(`  written to ${file}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
