// Termination states and the error / level policy.
import { describe, expect, it } from 'vitest';
import {
  isErrorStream,
  LOG_ERR,
  LOG_INFO,
  parseTerminationState,
  streamLogLevel,
  type TerminationCause,
  type TerminationPhase,
  terminationState,
  terminationStateWithCookie,
} from '../src/index.ts';

describe('termination states', () => {
  const causes: Array<[TerminationCause, string]> = [
    ['none', '-'],
    ['local', 'L'],
    ['client-timeout', 'c'],
    ['client-abort', 'C'],
    ['server-timeout', 's'],
    ['server-abort', 'S'],
    ['proxy', 'P'],
    ['resource', 'R'],
    ['internal', 'I'],
    ['down', 'D'],
    ['killed', 'K'],
    ['up', 'U'],
  ];
  const phases: Array<[TerminationPhase, string]> = [
    ['none', '-'],
    ['request', 'R'],
    ['connect', 'C'],
    ['headers', 'H'],
    ['data', 'D'],
    ['last', 'L'],
    ['queue', 'Q'],
    ['tarpit', 'T'],
  ];

  it('every cause and phase letter', () => {
    for (const [cause, c] of causes) {
      for (const [phase, p] of phases) {
        expect(terminationState({ cause, phase })).toBe(c + p);
        expect(terminationStateWithCookie({ cause, phase })).toBe(`${c}${p}--`);
        expect(parseTerminationState(c + p)).toEqual({ cause, phase });
      }
    }
  });

  it('the manual combinations', () => {
    expect(terminationState({ cause: 'client-timeout', phase: 'request' })).toBe('cR');
    expect(terminationState({ cause: 'server-timeout', phase: 'queue' })).toBe('sQ');
    expect(terminationState({ cause: 'proxy', phase: 'tarpit' })).toBe('PT');
    expect(terminationState({ cause: 'local', phase: 'request' })).toBe('LR');
  });

  it('cookie letters', () => {
    const t = (client: never, server: never) =>
      terminationStateWithCookie({ cause: 'none', phase: 'none', cookie: { client, server } });
    const clients = { none: 'N', invalid: 'I', down: 'D', valid: 'V', expired: 'E', old: 'O', unused: 'U' };
    const servers = { none: 'N', passive: 'P', deleted: 'D', inserted: 'I', rewritten: 'R', updated: 'U' };
    for (const [ck, cl] of Object.entries(clients)) {
      for (const [sk, sl] of Object.entries(servers)) {
        expect(t(ck as never, sk as never)).toBe(`--${cl}${sl}`);
        expect(parseTerminationState(`--${cl}${sl}`)?.cookie).toEqual({ client: ck, server: sk });
      }
    }
    expect(parseTerminationState('xx')).toBeUndefined();
    expect(parseTerminationState('---')).toBeUndefined();
  });
});

describe('errors and levels', () => {
  const base = {
    termCause: 'none' as TerminationCause,
    redispatched: false,
    retries: 0,
    status: 200,
    bytesIn: 10,
  };

  it('what counts as an error', () => {
    expect(isErrorStream({ cause: 'none', redispatched: false, retries: 0, http: true, status: 200 })).toBe(
      false,
    );
    expect(isErrorStream({ cause: 'local', redispatched: false, retries: 0, http: true, status: 200 })).toBe(
      false,
    );
    expect(
      isErrorStream({ cause: 'client-abort', redispatched: false, retries: 0, http: true, status: 200 }),
    ).toBe(true);
    expect(isErrorStream({ cause: 'none', redispatched: true, retries: 0, http: true, status: 200 })).toBe(
      true,
    );
    expect(isErrorStream({ cause: 'none', redispatched: false, retries: 1, http: true, status: 200 })).toBe(
      true,
    );
    expect(isErrorStream({ cause: 'none', redispatched: false, retries: 0, http: true, status: 503 })).toBe(
      true,
    );
    expect(isErrorStream({ cause: 'none', redispatched: false, retries: 0, http: false, status: 503 })).toBe(
      false,
    );
  });

  it('levels', () => {
    expect(streamLogLevel(base, { mode: 'http' })).toBe(LOG_INFO);
    expect(streamLogLevel({ ...base, status: 502 }, { mode: 'http' })).toBe(LOG_INFO);
    expect(streamLogLevel({ ...base, status: 502 }, { mode: 'http', separateErrors: true })).toBe(LOG_ERR);
    expect(streamLogLevel(base, { mode: 'http', separateErrors: true })).toBe(LOG_INFO);
    expect(streamLogLevel(base, { mode: 'http', dontlogNormal: true })).toBeUndefined();
    expect(streamLogLevel({ ...base, termCause: 'client-abort' }, { mode: 'tcp', dontlogNormal: true })).toBe(
      LOG_INFO,
    );
    expect(streamLogLevel({ ...base, bytesIn: 0 }, { mode: 'tcp', dontlognull: true })).toBeUndefined();
    expect(streamLogLevel(base, { mode: 'tcp', dontlognull: true })).toBe(LOG_INFO);
    expect(streamLogLevel(base, { mode: 'tcp', levelOverride: 'silent' })).toBeUndefined();
    expect(streamLogLevel(base, { mode: 'tcp', levelOverride: 4 })).toBe(4);
  });
});
