// Run: node packages/daemon/examples/pidfile.ts  (Node 24 runs .ts files directly)
// Writes a pidfile in a temporary directory, then shows the fd limit and what HAProxy's
// rules make of it. Changes nothing else in the process (no chroot, no setuid).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  closePidFile,
  computeDefaultMaxconn,
  computeMaxsock,
  getFdLimit,
  openPidFile,
  syscallsAvailable,
  writePids,
} from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'haproxyd-example-'));
const pidfile = openPidFile(join(dir, 'haproxyd.pid')); // before any chroot
writePids(pidfile, [process.pid]);
closePidFile(pidfile);
console.log(`pidfile ${pidfile.path}: ${JSON.stringify(readFileSync(pidfile.path, 'utf8'))}`);
rmSync(dir, { recursive: true, force: true });

if (syscallsAvailable()) {
  const limit = getFdLimit();
  const maxconn = computeDefaultMaxconn(limit, { extraFds: 1 }); // one listener
  console.log(`RLIMIT_NOFILE soft=${limit.soft} hard=${limit.hard}`);
  console.log(`default maxconn=${maxconn}, maxsock=${computeMaxsock(maxconn, { extraFds: 1 })}`);
} else {
  console.log('the FFI (koffi) does not load here: no fd limit to show');
}
