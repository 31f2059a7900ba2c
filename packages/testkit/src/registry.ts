// The cleanup registry: everything the testkit starts registers a closer here.
// cleanupAll() closes everything (idempotent); a process 'exit' hook and
// SIGINT/SIGTERM/SIGHUP handlers SIGKILL any process group still alive, so
// nothing leaks when the test runner dies or is interrupted.
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';

export interface Resource {
  readonly name: string;
  /** Closes the resource; must be safe to call more than once. */
  close(): Promise<void>;
}

const resources = new Set<Resource>();
const liveGroups = new Set<number>();
const tempDirs = new Set<string>();

/** Adds a resource; returns a function that removes it again (after it closed by itself). */
export function register(resource: Resource): () => void {
  resources.add(resource);
  return () => {
    resources.delete(resource);
  };
}

export function registerTempDir(dir: string): void {
  tempDirs.add(dir);
}

/** Whether `dir` was registered and not yet removed by a cleanup. */
export function isLiveTempDir(dir: string): boolean {
  return tempDirs.has(dir);
}

/** Number of resources (processes, servers, sockets) not yet cleaned up. */
export function pendingResources(): number {
  return resources.size;
}

/**
 * Stops every process, closes every server and socket, and removes every temp dir
 * started since the last call. Idempotent. Throws an AggregateError after
 * everything was attempted if some closer failed.
 */
export async function cleanupAll(): Promise<void> {
  const errors: unknown[] = [];
  // Several rounds: a closer may (rarely) register something new.
  for (let round = 0; round < 5 && resources.size > 0; round++) {
    const batch = [...resources].reverse();
    resources.clear();
    const results = await Promise.allSettled(batch.map((r) => r.close()));
    for (const [i, result] of results.entries()) {
      if (result.status === 'rejected') {
        const name = batch[i]?.name ?? '?';
        errors.push(
          new Error(`testkit cleanup of ${name} failed: ${String(result.reason)}`, { cause: result.reason }),
        );
      }
    }
  }
  const dirs = [...tempDirs];
  tempDirs.clear();
  await Promise.all(
    dirs.map((d) => rm(d, { recursive: true, force: true }).catch((e: unknown) => errors.push(e))),
  );
  if (errors.length > 0) throw new AggregateError(errors, `testkit cleanup: ${errors.length} failure(s)`);
}

// ---- process groups: the last-resort path -------------------------------------------------------

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let signalHandlersInstalled = false;

function killAllGroupsSync(): void {
  for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  liveGroups.clear();
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort while exiting
    }
  }
}

function onFatalSignal(signal: NodeJS.Signals): void {
  killAllGroupsSync();
  removeSignalHandlers();
  // Keep the default behaviour (terminate) unless someone else handles the signal.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installSignalHandlers(): void {
  if (signalHandlersInstalled) return;
  signalHandlersInstalled = true;
  for (const s of SIGNALS) process.on(s, onFatalSignal);
}

function removeSignalHandlers(): void {
  if (!signalHandlersInstalled) return;
  signalHandlersInstalled = false;
  for (const s of SIGNALS) process.off(s, onFatalSignal);
}

process.on('exit', killAllGroupsSync);

/** Sends a signal to a whole process group; false if the group no longer exists. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Remembers a process group (led by pid) that must die with this process. */
export function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  installSignalHandlers();
}

export function untrackGroup(pgid: number): void {
  liveGroups.delete(pgid);
  if (liveGroups.size === 0) removeSignalHandlers();
}
