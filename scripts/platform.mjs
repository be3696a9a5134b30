// Runs one core and one edge as child processes with the embedded defaults
// (edge on 127.0.0.1:5060 UDP+TCP, core on 127.0.0.1:5070, media group
// sip:127.0.0.1:5080), prefixes their logs, and stops both on SIGINT/SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const apps = [
  { name: 'core', entry: join(root, 'apps/core/dist/main.js') },
  { name: 'edge', entry: join(root, 'apps/edge/dist/main.js') },
];
const children = [];
let stopping = false;

for (const app of apps) {
  if (!existsSync(app.entry)) {
    console.error(`[strata] ${app.name}: ${app.entry} not built; skipped`);
    continue;
  }
  const child = spawn(process.execPath, [app.entry], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        process.stdout.write(`[${app.name}] ${buffered.slice(0, nl)}\n`);
        buffered = buffered.slice(nl + 1);
      }
    });
  }
  child.on('exit', (code, signal) => {
    console.error(`[strata] ${app.name} exited (${signal ?? code})`);
    if (!stopping) stop(1);
  });
  children.push(child);
}
if (children.length === 0) process.exit(1);
console.error(
  '[strata] edge sip:127.0.0.1:5060 (udp, tcp) → core sip:127.0.0.1:5070 → media sip:127.0.0.1:5080',
);
console.error(
  '[strata] try: sipp -sn uas -i 127.0.0.1 -p 5080   and   sipp -sf infra/sipp/uac.xml -s media -i 127.0.0.1 -p 5062 127.0.0.1:5060 -m 10',
);

function stop(code) {
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  const deadline = setTimeout(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    process.exit(code);
  }, 5000);
  deadline.unref();
  Promise.all(
    children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))),
  ).then(() => process.exit(code));
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
