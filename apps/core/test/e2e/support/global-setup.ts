/**
 * The process tests run the built apps: compile the core (its dist/ must match src/) and
 * make sure the edge is built. Workspace packages are built by turbo (`^build`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_DIR, EDGE_MAIN } from './harness.js';

export default function setup(): void {
  const tsc = join(CORE_DIR, '..', '..', 'node_modules', '.bin', 'tsc');
  execFileSync(tsc, ['-p', join(CORE_DIR, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (!existsSync(EDGE_MAIN))
    execFileSync(tsc, ['-p', join(CORE_DIR, '..', 'edge', 'tsconfig.build.json')], {
      stdio: 'inherit',
    });
}
