/**
 * @hap/listeners — HAProxy's listeners: bind (`ipv4@`, `ipv6@`, `unix@`, `abns@`,
 * `fd@`, port ranges), enable, pause/resume (SIGTTOU/SIGTTIN), per-listener maxconn,
 * accept rate limits (maxconnrate, maxsessrate, maxsslrate, rate-limit sessions),
 * the start-up retry loop against old processes, and handing bound sockets to another
 * process. Not a proxy: what happens to an accepted connection is the `onAccept`
 * handler's business.
 */
export { type CreateOptions, createListeners } from './config.ts';
export { ListenerError, type ListenerErrorCode } from './errors.ts';
export {
  bindAll,
  bindWithRetries,
  enableAll,
  formatBindAlert,
  type GroupResult,
  type ListenerFailure,
  MAX_START_RETRIES,
  pauseAll,
  type RetryOptions,
  type RetryResult,
  resumeAll,
  START_RETRY_DELAY_MS,
  unbindAll,
} from './group.ts';
export {
  adoptFds,
  adoptHeldConnections,
  formatListenFds,
  heldConnectionFds,
  LISTEN_FDS_ENV,
  listeningFds,
  parseListenFds,
  prepareHandover,
} from './handover.ts';
export {
  type AcceptHandler,
  addressKey,
  ConnectionLimit,
  type ListenAddress,
  Listener,
  type ListenerFamily,
  type ListenerSettings,
  type ListenerState,
} from './listener.ts';
export { nowMs, RATE_PERIOD_MS, RateCounter, type RateEvent, RateLimit } from './rate.ts';
