export { chrootTo } from './chroot.ts';
export { DaemonError, type DaemonErrorCode } from './errors.ts';
export {
  boundKey,
  closeReceived,
  fetchListeningFds,
  type ReceivedSocket,
  sendListeningFds,
} from './getsocks.ts';
export {
  type DropPrivilegesResult,
  dropPrivileges,
  type Identity,
  type IdentityOptions,
  resolveIdentity,
} from './identity.ts';
export {
  computeDefaultMaxconn,
  computeMaxsock,
  DEFAULT_MAXCONN,
  type FdLimitMessage,
  type FdLimitOptions,
  type FdLimitResult,
  type FdNeedsOptions,
  RESERVED_FDS,
  raiseFdLimit,
} from './limits.ts';
export { type OldPidSignal, tellOldPids } from './old-pids.ts';
export { closePidFile, openPidFile, type PidFile, type ProgramOption, writePids } from './pidfile.ts';
export {
  acceptPending,
  getFdLimit,
  type InetListenSpec,
  listenWhenFree,
  type Rlimit,
  syscallsAvailable,
} from './sys.ts';
export {
  type DetachedWorker,
  formatListenFds,
  isWorker,
  LISTEN_FDS_ENV,
  PENDING_FDS_ENV,
  parseListenFds,
  readStartupReport,
  reportToParent,
  type SpawnWorkerOptions,
  STARTUP_FD_ENV,
  spawnDetachedWorker,
  workerFdsFromEnv,
  workerPendingFdsFromEnv,
} from './worker.ts';
