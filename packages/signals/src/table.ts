import type { SignalQueue } from './queue.ts';

/** What a signal asks haproxyd to do. */
export type SignalAction =
  | 'soft-stop'
  | 'pause'
  | 'resume'
  | 'dump-servers'
  | 'dump-state'
  | 'hard-stop'
  | 'reload'
  | 'ignore';

export interface StandardSignal {
  readonly signal: NodeJS.Signals;
  readonly action: SignalAction;
  readonly description: string;
}

/** The signals HAProxy reacts to and what each one means. One row per signal. */
export const STANDARD_SIGNALS: readonly StandardSignal[] = Object.freeze([
  {
    signal: 'SIGUSR1',
    action: 'soft-stop',
    description:
      'Graceful stop: release the listening ports, keep serving established connections, ' +
      'and exit once the last one ends (or when hard-stop-after expires). Sent by -sf.',
  },
  {
    signal: 'SIGTTOU',
    action: 'pause',
    description:
      'Pause: stop listening so that a newer process can bind the same ports; ' +
      'established connections are not affected.',
  },
  {
    signal: 'SIGTTIN',
    action: 'resume',
    description: 'Resume: listen again after a pause, typically because the newer process failed to bind.',
  },
  {
    signal: 'SIGHUP',
    action: 'dump-servers',
    description: 'Write the state of every server to the log.',
  },
  {
    signal: 'SIGQUIT',
    action: 'dump-state',
    description: 'Report internal state (memory pools) and give unused memory back.',
  },
  {
    signal: 'SIGTERM',
    action: 'hard-stop',
    description: 'Immediate stop: every connection is closed and the process exits now. Sent by -st.',
  },
  {
    signal: 'SIGINT',
    action: 'hard-stop',
    description: 'Immediate stop, like SIGTERM (Ctrl-C in the foreground).',
  },
  {
    signal: 'SIGUSR2',
    action: 'reload',
    description:
      'Master-worker mode: read the configuration again, start new workers on the same ' +
      'sockets and soft-stop the old ones.',
  },
  {
    signal: 'SIGPIPE',
    action: 'ignore',
    description:
      'Ignored: writing to a peer that went away fails on that connection ' +
      'instead of killing the process.',
  },
] satisfies StandardSignal[]);

/** Handlers for the actions of the standard table; `ignore` has nothing to run. */
export type StandardActions = Partial<
  Record<Exclude<SignalAction, 'ignore'>, (signal: NodeJS.Signals, count: number) => void>
>;

/**
 * Registers on `queue` every row of STANDARD_SIGNALS whose action is given in
 * `actions`; rows without a handler are left alone (the signal keeps its default
 * disposition). SIGPIPE is never registered: Node already ignores it. Returns a
 * function that removes these registrations.
 */
export function registerStandardSignals(queue: SignalQueue, actions: StandardActions): () => void {
  const removers: Array<() => void> = [];
  for (const row of STANDARD_SIGNALS) {
    if (row.action === 'ignore') continue;
    const run = actions[row.action];
    if (run === undefined) continue;
    removers.push(queue.register(row.signal, run));
  }
  return () => {
    for (const remove of removers) remove();
  };
}
