// Child processes of the bench and what /proc says about them.
// Every process the bench starts goes through start(): it runs in its own process
// group, so stop() and the exit/Ctrl-C hooks end it and all it started (nginx's
// worker, a shell's exec'd program) by that group's id, and nothing else.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';

/** @type {Set<Proc>} */
const live = new Set();

/**
 * @typedef {object} Proc
 * @property {string} name
 * @property {number} pid
 * @property {() => string} output  stdout and stderr, interleaved, the last 256 KiB
 * @property {{ code: number | null, signal: string | null } | null} exit  null while running
 * @property {Promise<{ code: number | null, signal: string | null }>} exited
 */

const OUTPUT_KEEP = 256 * 1024;

/**
 * Start `argv` in its own process group, with an fd limit and pinned to `cpu` when given:
 * `bash -c 'ulimit -n N; exec taskset -c CPU argv…'`. Each step `exec`s, so the pid
 * returned is the pid of argv[0] itself (what /proc is read for).
 * @param {string} name
 * @param {string[]} argv
 * @param {{ cpu?: number | null, fdLimit?: number | null, env?: NodeJS.ProcessEnv, cwd?: string }} [opts]
 * @returns {Proc}
 */
export function start(name, argv, opts = {}) {
  const pinned = opts.cpu == null ? argv : ['taskset', '-c', String(opts.cpu), ...argv];
  const script = opts.fdLimit ? 'ulimit -n "$1" || exit 111; shift; exec "$@"' : 'shift; exec "$@"';
  const child = spawn('bash', ['-c', script, 'bench', String(opts.fdLimit ?? 0), ...pinned], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
    cwd: opts.cwd,
  });
  let out = '';
  const keep = (/** @type {Buffer} */ chunk) => {
    out += chunk.toString('utf8');
    if (out.length > OUTPUT_KEEP * 2) out = out.slice(-OUTPUT_KEEP);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  /** @type {Proc} */
  const proc = {
    name,
    pid: /** @type {number} */ (child.pid),
    output: () => out,
    exit: null,
    exited: new Promise((resolve) => {
      child.on('error', (err) => {
        out += `\n[bench] cannot start ${argv[0]}: ${err.message}\n`;
        proc.exit = { code: 127, signal: null };
        live.delete(proc);
        resolve(proc.exit);
      });
      child.on('exit', (code, signal) => {
        proc.exit = { code, signal };
        live.delete(proc);
        resolve(proc.exit);
      });
    }),
  };
  live.add(proc);
  return proc;
}

/** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once it has exited. */
export async function stop(/** @type {Proc} */ proc, graceMs = 2000) {
  if (proc.exit) return proc.exit;
  signalGroup(proc, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(proc, 'SIGKILL'), graceMs);
  const r = await proc.exited;
  clearTimeout(timer);
  // whatever the leader left behind in its group (nginx's worker, say)
  signalGroup(proc, 'SIGKILL');
  return r;
}

function signalGroup(/** @type {Proc} */ proc, /** @type {NodeJS.Signals} */ sig) {
  try {
    process.kill(-proc.pid, sig);
  } catch {
    // already gone
  }
}

/** Kill every process the bench started (synchronous: safe in 'exit' and signal handlers). */
export function killAll() {
  for (const proc of live) signalGroup(proc, 'SIGKILL');
  live.clear();
}

/** Run to completion (killed after `timeoutMs`); resolves with the exit and the output. */
export async function run(
  /** @type {string} */ name,
  /** @type {string[]} */ argv,
  /** @type {Parameters<typeof start>[2] & { timeoutMs: number }} */ opts,
) {
  const proc = start(name, argv, opts);
  const timer = setTimeout(() => signalGroup(proc, 'SIGKILL'), opts.timeoutMs);
  const exit = await proc.exited;
  clearTimeout(timer);
  return { ...exit, output: proc.output() };
}

export const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it). */
export function freePort() {
  return /** @type {Promise<number>} */ (
    new Promise((resolve, reject) => {
      const s = net.createServer();
      s.on('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const addr = /** @type {net.AddressInfo} */ (s.address());
        s.close(() => resolve(addr.port));
      });
    })
  );
}

/** True once 127.0.0.1:port accepts a connection; false if `proc` exits first or on timeout. */
export async function waitForPort(/** @type {number} */ port, /** @type {Proc} */ proc, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exit) return false;
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return !proc.exit;
    await sleep(25);
  }
  return false;
}

// ---- /proc -----------------------------------------------------------------

/** Clock ticks per second for utime/stime (USER_HZ). */
export const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** Fields of /proc/<pid>/stat after the command name: [0] is field 3 (state). */
function statFields(/** @type {number} */ pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** pid and all its living descendants. */
export function processTree(/** @type {number} */ pid) {
  /** @type {Map<number, number[]>} */
  const kids = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (!f) continue;
    const ppid = Number(f[1]);
    const list = kids.get(ppid);
    if (list) list.push(Number(name));
    else kids.set(ppid, [Number(name)]);
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(kids.get(out[i]) ?? []));
  return out;
}

/**
 * CPU time in clock ticks: utime and stime (fields 14 and 15 of /proc/<pid>/stat, which
 * cover all threads of the process), summed over the process and its descendants.
 */
export function cpuTicks(/** @type {number} */ pid) {
  let user = 0;
  let sys = 0;
  for (const p of processTree(pid)) {
    const f = statFields(p);
    if (!f) continue;
    user += Number(f[11]);
    sys += Number(f[12]);
  }
  return { user, sys };
}

/** VmRSS in KiB (/proc/<pid>/status), summed over the process and its descendants. */
export function rssKiB(/** @type {number} */ pid) {
  let kib = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) kib += Number(m[1]);
    } catch {
      // exited meanwhile
    }
  }
  return kib;
}

/** Number of open sockets of the process and its descendants (/proc/<pid>/fd). */
export function socketCount(/** @type {number} */ pid) {
  let n = 0;
  for (const p of processTree(pid)) {
    let fds;
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${p}/fd/${fd}`).startsWith('socket:')) n++;
      } catch {
        // closed meanwhile
      }
    }
  }
  return n;
}

/** Threads of the process (from /proc/<pid>/status), for the notes. */
export function threadCount(/** @type {number} */ pid) {
  try {
    const m = /^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Busy clock ticks of the whole machine, all cores (/proc/stat: everything but idle and iowait). */
export function machineBusyTicks() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
}

/** CPU ticks of this process and of its children it has already waited for (wrk runs). */
export function selfTicks() {
  const s = readFileSync('/proc/self/stat', 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}
