// The session state at disconnection (HAProxy manual 8.5): two letters in TCP logs (%ts),
// four in HTTP logs (%tsc): who or what ended the stream, in which phase, and what happened
// to the persistence cookie on the request and on the response.
//
//   first letter (cause)            second letter (phase)
//   -  normal end                   -  normal end after the data phase
//   C  client aborted               R  waiting for a complete request
//   S  server aborted or refused    Q  waiting in a queue
//   P  proxy refused (deny, limit)  C  connecting to the server
//   L  processed locally            H  waiting for the response headers
//   R  resource exhausted           D  data phase
//   I  internal error               L  sending the last data to the client
//   D  server went down (kill)      T  tarpitted
//   U  backup killed, active up
//   K  killed by an admin
//   c  client timeout
//   s  server timeout

/** Who or what ended the stream (HAProxy's SF_ERR_*). */
export type TerminationCause =
  | 'none'
  | 'local'
  | 'client-timeout'
  | 'client-abort'
  | 'server-timeout'
  | 'server-abort'
  | 'proxy'
  | 'resource'
  | 'internal'
  | 'down'
  | 'killed'
  | 'up';

/** Where the stream was when it ended (HAProxy's SF_FINST_*). */
export type TerminationPhase =
  | 'none'
  | 'request'
  | 'connect'
  | 'headers'
  | 'data'
  | 'last'
  | 'queue'
  | 'tarpit';

/** The persistence cookie the client sent (third letter of %tsc). */
export type ClientCookieState = 'none' | 'invalid' | 'down' | 'valid' | 'expired' | 'old' | 'unused';

/** What happened to the persistence cookie in the response (fourth letter of %tsc). */
export type ServerCookieState = 'none' | 'passive' | 'deleted' | 'inserted' | 'rewritten' | 'updated';

const CAUSE: Readonly<Record<TerminationCause, string>> = {
  none: '-',
  local: 'L',
  'client-timeout': 'c',
  'client-abort': 'C',
  'server-timeout': 's',
  'server-abort': 'S',
  proxy: 'P',
  resource: 'R',
  internal: 'I',
  down: 'D',
  killed: 'K',
  up: 'U',
};

const PHASE: Readonly<Record<TerminationPhase, string>> = {
  none: '-',
  request: 'R',
  connect: 'C',
  headers: 'H',
  data: 'D',
  last: 'L',
  queue: 'Q',
  tarpit: 'T',
};

const CLIENT_COOKIE: Readonly<Record<ClientCookieState, string>> = {
  none: 'N',
  invalid: 'I',
  down: 'D',
  valid: 'V',
  expired: 'E',
  old: 'O',
  unused: 'U',
};

const SERVER_COOKIE: Readonly<Record<ServerCookieState, string>> = {
  none: 'N',
  passive: 'P',
  deleted: 'D',
  inserted: 'I',
  rewritten: 'R',
  updated: 'U',
};

/** The persistence cookie's story; undefined when the backend has no `cookie` (letters "--"). */
export interface CookieStates {
  readonly client: ClientCookieState;
  readonly server: ServerCookieState;
}

/** The facts the two or four letters are made of. */
export interface TerminationFacts {
  readonly cause: TerminationCause;
  readonly phase: TerminationPhase;
  /** Only read for the four-letter form. */
  readonly cookie?: CookieStates | undefined;
}

/** `%ts`: two letters, e.g. "--", "CD", "sH". */
export function terminationState(facts: TerminationFacts): string {
  return CAUSE[facts.cause] + PHASE[facts.phase];
}

/** `%tsc`: four letters, e.g. "----", "CD--", "--NI" (cookie letters "--" without `cookie`). */
export function terminationStateWithCookie(facts: TerminationFacts): string {
  const c = facts.cookie;
  return terminationState(facts) + (c ? CLIENT_COOKIE[c.client] + SERVER_COOKIE[c.server] : '--');
}

/** Parses two or four letters back into facts (tests, tools reading logs); undefined if invalid. */
export function parseTerminationState(text: string): TerminationFacts | undefined {
  if (text.length !== 2 && text.length !== 4) return undefined;
  const find = <T extends string>(table: Readonly<Record<T, string>>, ch: string): T | undefined =>
    (Object.keys(table) as T[]).find((k) => table[k] === ch);
  const cause = find(CAUSE, text[0]!);
  const phase = find(PHASE, text[1]!);
  if (cause === undefined || phase === undefined) return undefined;
  if (text.length === 2 || text.slice(2) === '--') return { cause, phase };
  const client = find(CLIENT_COOKIE, text[2]!);
  const server = find(SERVER_COOKIE, text[3]!);
  if (client === undefined || server === undefined) return undefined;
  return { cause, phase, cookie: { client, server } };
}

/**
 * Whether HAProxy counts the stream as an error for `option log-separate-errors` (level
 * err instead of info) and `option dontlog-normal` (normal streams are not logged): a
 * redispatch, a retry, a cause other than a normal or local end, or an HTTP status ≥ 500.
 */
export function isErrorStream(facts: {
  readonly cause: TerminationCause;
  readonly redispatched: boolean;
  readonly retries: number;
  readonly http: boolean;
  readonly status: number;
}): boolean {
  if (facts.redispatched) return true;
  if (facts.cause !== 'none' && facts.cause !== 'local') return true;
  if (facts.cause === 'none' && facts.retries > 0) return true;
  return facts.http && facts.status >= 500;
}
