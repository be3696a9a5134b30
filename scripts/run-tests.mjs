// Runs the whole test suite and ends with one plain summary line,
// "Tests: N passed, N failed, N skipped", that CI reads.
//
// Three phases, so timing-sensitive tests get the machine to themselves:
//   1. unit tests of every package and app, in parallel;
//   2. process tests (*.e2e.test.ts: real edge/core processes, sipp,
//      redis-server, a flood on loopback), one file at a time;
//   3. memory tests (heap/leak checks under --expose-gc), one at a time.
// Extra arguments are passed to every vitest invocation (e.g. a name filter).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const extra = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'strata-tests-'));
const phases = [
  { name: 'unit', args: ['run', '--exclude', '**/*.e2e.test.ts'] },
  { name: 'process', args: ['run', '--no-file-parallelism', 'e2e.test'] },
  {
    name: 'memory: edge heap',
    args: ['run', '--root', 'apps/edge', '--config', 'vitest.gc.config.ts'],
  },
  {
    name: 'memory: transaction leak',
    args: ['run', '--root', 'packages/transaction', '--config', 'vitest.leak.config.ts'],
  },
];

// The real-Asterisk call-control e2e (apps/core call-control-asterisk.e2e.test.ts) runs in
// the process phase whenever the Asterisk image is on this machine (`auto`), like
// test:compose's media; said here either way, since vitest only shows it as skipped.
process.env.STRATA_ASTERISK_E2E ??= 'auto';
if (process.env.STRATA_ASTERISK_E2E === 'auto') {
  const image = process.env.STRATA_ASTERISK_IMAGE ?? 'localhost/strata/asterisk:22';
  const probe = spawnSync('podman', ['image', 'exists', image], { timeout: 30_000 });
  const why =
    probe.error !== undefined
      ? 'SKIPPED: no podman'
      : probe.status === 0
        ? `runs (image ${image} present)`
        : `SKIPPED: no image ${image} (\`pnpm asterisk:image\` builds it)`;
  console.log(`[strata] real-Asterisk call-control e2e: ${why}`);
}

let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
for (const [i, phase] of phases.entries()) {
  const report = join(dir, `report-${i}.json`);
  console.log(`\n[strata] tests, ${phase.name}`);
  const result = spawnSync(
    'vitest',
    [
      ...phase.args,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...extra,
    ],
    { stdio: 'inherit' },
  );
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    passed += json.numPassedTests;
    failed += json.numFailedTests;
    skipped += json.numPendingTests + json.numTodoTests;
    if (json.numFailedTestSuites > 0 && json.numFailedTests === 0)
      failed += json.numFailedTestSuites;
  } catch {
    // no report: vitest itself failed (or a filter matched nothing in this phase)
    if (result.status !== 0 && extra.length === 0) failed += 1;
  }
  if (result.status !== 0 && extra.length === 0) ok = false;
}
rmSync(dir, { recursive: true, force: true });
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok && failed === 0 && passed > 0 ? 0 : 1);
