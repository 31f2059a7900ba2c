// The agent's one-line reply: words separated by blanks or commas, a description after '#'.

export interface AgentReply {
  /** Last health word: up, down, stopped, fail (as written). */
  readonly health: string | undefined;
  /** Last admin word: ready, drain, maint. */
  readonly admin: 'ready' | 'drain' | 'maint' | undefined;
  /** Last weight word, e.g. `75%`. */
  readonly weight: string | undefined;
  /** Value after `maxconn:`. */
  readonly maxconn: string | undefined;
  /** First word that meant nothing. */
  readonly error: string | undefined;
  /** Text after '#', leading blanks skipped. */
  readonly description: string;
}

const HEALTH = new Set(['up', 'down', 'stopped', 'fail']);

export function parseAgentReply(line: string): AgentReply {
  let health: string | undefined;
  let admin: AgentReply['admin'];
  let weight: string | undefined;
  let maxconn: string | undefined;
  let error: string | undefined;
  let description = '';
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t' || c === ',') {
      i++;
      continue;
    }
    if (c === '#') {
      description = line.slice(i + 1).replace(/^[\t ]+/, '');
      break;
    }
    let j = i + 1;
    while (j < line.length && line[j] !== ' ' && line[j] !== '\t' && line[j] !== ',') j++;
    const word = line.slice(i, j);
    const lower = word.toLowerCase();
    if (HEALTH.has(lower)) health = word;
    else if (lower === 'ready' || lower === 'drain' || lower === 'maint') admin = lower;
    else if (/^\d/.test(word) && word.includes('%')) weight = word;
    else if (lower.startsWith('maxconn:')) maxconn = word.slice('maxconn:'.length);
    else error ??= word;
    i = j;
  }
  return { health, admin, weight, maxconn, error, description };
}

/**
 * A weight request as the agent and the runtime API give it (`75%` of the initial weight,
 * or an absolute 0..256); returns the new weight or HAProxy's complaint.
 */
export function parseWeight(request: string, initial: number): number | string {
  if (request === '') return 'Require <weight> or <weight%>.';
  const m = /^(-?\d+)(.*)$/.exec(request);
  if (!m) return 'Empty weight string empty or preceded by garbage';
  let w = Number(m[1]);
  const rest = m[2] ?? '';
  if (rest === '%') {
    if (w < 0) return 'Relative weight must be positive.';
    w = Math.min(w, 25600);
    w = Math.min(Math.floor((initial * w) / 100), 256);
    return w;
  }
  if (w < 0 || w > 256) return 'Absolute weight can only be between 0 and 256 inclusive.';
  if (rest !== '') return 'Trailing garbage in weight string';
  return w;
}
