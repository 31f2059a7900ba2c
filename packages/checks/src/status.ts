// Check status codes, as HAProxy names them in logs, the stats page and the runtime API.

/** The outcome of one check, by HAProxy's short name. */
export type CheckStatus =
  | 'UNK'
  | 'INI'
  | 'CHECKED'
  | 'HANA'
  | 'SOCKERR'
  | 'L4OK'
  | 'L4TOUT'
  | 'L4CON'
  | 'L6OK'
  | 'L6TOUT'
  | 'L6RSP'
  | 'L7TOUT'
  | 'L7RSP'
  | 'L7OK'
  | 'L7OKC'
  | 'L7STS';

/** What a status does to the health counter. */
export type CheckResultKind = 'unknown' | 'neutral' | 'failed' | 'passed' | 'conditional';

interface StatusInfo {
  readonly result: CheckResultKind;
  readonly description: string;
  /** Statuses past the layer-7 data line print their `code` (HAProxy's L57DATA boundary). */
  readonly withCode: boolean;
}

const STATUS: Readonly<Record<CheckStatus, StatusInfo>> = {
  UNK: { result: 'unknown', description: 'Unknown', withCode: false },
  INI: { result: 'unknown', description: 'Initializing', withCode: false },
  CHECKED: { result: 'neutral', description: 'No status change', withCode: false },
  HANA: { result: 'failed', description: 'Health analyze', withCode: false },
  SOCKERR: { result: 'failed', description: 'Socket error', withCode: false },
  L4OK: { result: 'passed', description: 'Layer4 check passed', withCode: false },
  L4TOUT: { result: 'failed', description: 'Layer4 timeout', withCode: false },
  L4CON: { result: 'failed', description: 'Layer4 connection problem', withCode: false },
  L6OK: { result: 'passed', description: 'Layer6 check passed', withCode: false },
  L6TOUT: { result: 'failed', description: 'Layer6 timeout', withCode: false },
  L6RSP: { result: 'failed', description: 'Layer6 invalid response', withCode: false },
  L7TOUT: { result: 'failed', description: 'Layer7 timeout', withCode: false },
  L7RSP: { result: 'failed', description: 'Layer7 invalid response', withCode: false },
  L7OK: { result: 'passed', description: 'Layer7 check passed', withCode: true },
  L7OKC: { result: 'conditional', description: 'Layer7 check conditionally passed', withCode: true },
  L7STS: { result: 'failed', description: 'Layer7 wrong status', withCode: true },
};

export function statusResult(status: CheckStatus): CheckResultKind {
  return STATUS[status].result;
}

/** The long text HAProxy prints after `reason:`. */
export function statusDescription(status: CheckStatus): string {
  return STATUS[status].description;
}

/** Whether HAProxy prints `, code: N` for this status (layer-7 data statuses). */
export function statusHasCode(status: CheckStatus): boolean {
  return STATUS[status].withCode;
}

export function isCheckStatus(word: string): word is CheckStatus {
  return Object.hasOwn(STATUS, word);
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  ECONNABORTED: 'Software caused connection abort',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ENETDOWN: 'Network is down',
  EHOSTDOWN: 'Host is down',
  ETIMEDOUT: 'Connection timed out',
  EPIPE: 'Broken pipe',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EADDRINUSE: 'Address already in use',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  ENOBUFS: 'No buffer space available',
  EINVAL: 'Invalid argument',
};

/** strerror() wording for a Node error code, as HAProxy puts it in `info`. */
export function errnoText(code: string | undefined): string {
  if (code === undefined) return '';
  return ERRNO_TEXT[code] ?? code;
}
