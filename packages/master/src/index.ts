/**
 * @hap/master — HAProxy's master-worker mode for haproxyd: a master that binds the
 * listening sockets once and keeps them, starts workers on them as inherited fds, reloads
 * without closing an accept queue (new worker READY first, then SIGUSR1 to the old one),
 * watches its workers (exit-on-failure, mworker-max-reloads, hard-stop-after), serves the
 * master CLI (`-S`: show proc, reload, @<n> / @!<pid> routing) and speaks systemd's notify
 * protocol (`-Ws`). It knows nothing of the configuration language.
 */
export {
  type CliBind,
  type CliLevel,
  listenMasterCli,
  type MasterCliHost,
  type MasterCliListener,
  parseCliBind,
  splitCommands,
} from './cli.ts';
export {
  describeStatus,
  formatShowProc,
  formatUptime,
  type LogLevel,
  Master,
  type MasterConfig,
  type MasterOptions,
  type ProcInfo,
} from './master.ts';
export { NotifyReceiver, sdNotify } from './notify.ts';
export {
  type BindFailure,
  type BoundSocket,
  bindListenSocket,
  ListenSockets,
  type ListenSpec,
  type UpdateResult,
} from './sockets.ts';
export { SysError, signalDescription, socketCallsAvailable } from './sys.ts';
export {
  attachToMaster,
  exitStatus,
  isMasterWorker,
  MASTER_PID_ENV,
  type MasterLink,
  type SpawnWorkerOptions,
  spawnWorker,
  type WorkerExit,
  type WorkerHandle,
  type WorkerStartup,
} from './worker.ts';
