// Variables: `proc.` (process-wide), `sess.` (the connection), `txn.` (one HTTP
// transaction), `req.` / `res.` (request or response processing), names written with
// their scope. The store keeps each scope in its own map, keyed by the full name.
import type { SampleValue, VarStore } from './env.ts';
import { SampleError } from './errors.ts';

const SCOPES = ['proc.', 'sess.', 'txn.', 'req.', 'res.', 'check.'] as const;

/**
 * Checks a variable name as HAProxy does (a scope, then letters, digits, '_' and '.');
 * returns the message of the error, or undefined when the name is valid.
 */
export function varNameError(name: string): string | undefined {
  if (name.length === 0) return 'Empty variable name cannot be accepted';
  const scope = SCOPES.find((s) => name.length > s.length && name.startsWith(s));
  if (!scope) {
    return (
      `invalid variable name '${name}'. A variable name must be start by its scope. ` +
      `The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'`
    );
  }
  for (let i = scope.length; i < name.length; i++) {
    const c = name[i]!;
    if (!/[A-Za-z0-9_.]/.test(c)) return `invalid syntax at char '${name.slice(i)}'`;
  }
  return undefined;
}

/** Throws a SampleError when `name` is not a valid variable name. */
export function checkVarName(name: string): void {
  const err = varNameError(name);
  if (err !== undefined) throw new SampleError('HAP_ERR_SAMPLE_SYNTAX', err);
}

export interface SessionVarStore extends VarStore {
  /** A new HTTP transaction starts: txn, req and res variables are dropped. */
  newTransaction(): void;
  /** Request processing starts: req and res variables are dropped. */
  newRequest(): void;
  /** Response processing starts: req and res variables are dropped (HAProxy keeps one store for both). */
  newResponse(): void;
}

/**
 * The variables of one session, sharing `proc` with every other session. HAProxy keeps
 * req and res variables in one per-stream store emptied when response processing starts;
 * here each has its map and both are emptied at that point.
 */
export function createVarStore(proc: Map<string, SampleValue>): SessionVarStore {
  const sess = new Map<string, SampleValue>();
  const txn = new Map<string, SampleValue>();
  const req = new Map<string, SampleValue>();
  const res = new Map<string, SampleValue>();
  const check = new Map<string, SampleValue>();
  const scopeOf = (name: string): Map<string, SampleValue> | undefined => {
    switch (name.charCodeAt(0)) {
      case 116: // t
        return name.startsWith('txn.') ? txn : undefined;
      case 115: // s
        return name.startsWith('sess.') ? sess : undefined;
      case 112: // p
        return name.startsWith('proc.') ? proc : undefined;
      case 114: // r
        if (name.startsWith('req.')) return req;
        return name.startsWith('res.') ? res : undefined;
      case 99: // c
        return name.startsWith('check.') ? check : undefined;
      default:
        return undefined;
    }
  };
  return {
    get: (name) => scopeOf(name)?.get(name),
    set(name, value) {
      scopeOf(name)?.set(name, value);
    },
    unset(name) {
      scopeOf(name)?.delete(name);
    },
    newTransaction() {
      txn.clear();
      req.clear();
      res.clear();
    },
    newRequest() {
      req.clear();
      res.clear();
    },
    newResponse() {
      req.clear();
      res.clear();
    },
  };
}

/** set-var conditions (HAProxy 2.6), for the `set-var` converter and the `set-var` action. */
export const SET_VAR_CONDITIONS: readonly string[] = [
  'ifexists',
  'ifnotexists',
  'ifempty',
  'ifnotempty',
  'ifset',
  'ifnotset',
  'ifgt',
  'iflt',
];

/**
 * Whether every condition lets `value` replace `old` (undefined: no such variable). An
 * existing variable is a set one: unset variables are not kept.
 */
export function setVarConditionsHold(
  conds: readonly unknown[],
  old: SampleValue | undefined,
  value: SampleValue,
): boolean {
  const empty = (typeof value === 'string' || Buffer.isBuffer(value)) && value.length === 0;
  for (const c of conds) {
    switch (c) {
      case 'ifexists':
      case 'ifset':
        if (old === undefined) return false;
        break;
      case 'ifnotexists':
      case 'ifnotset':
        if (old !== undefined) return false;
        break;
      case 'ifempty':
        if (!empty) return false;
        break;
      case 'ifnotempty':
        if (empty) return false;
        break;
      case 'ifgt':
        if (typeof old === 'number' && typeof value === 'number' && !(old > value)) return false;
        break;
      case 'iflt':
        if (typeof old === 'number' && typeof value === 'number' && !(old < value)) return false;
        break;
    }
  }
  return true;
}
