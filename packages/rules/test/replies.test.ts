// What HAProxy 2.6 measurably does with the replies, rewrites and switching of rules (the
// cases of apps/haproxyd/test/rules that are decided inside the rule engine).
import { describe, expect, it } from 'vitest';
import {
  HttpRuleList,
  type HttpRuleSet,
  haproxyReason,
  newOutcome,
  type RuleCompileContext,
  type RuleCompileError,
  type RuleSpec,
  TargetRules,
  V_DENY,
  V_REPLY,
} from '../src/index.ts';
import { envFor, request, response } from './env.ts';

const FILES: Record<string, string> = {
  'close.http':
    'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbad\n',
  'keep.http': 'HTTP/1.1 503 Service Unavailable\r\nX-From: file\r\nContent-Length: 3\r\n\r\nno\n',
};

const ctx: RuleCompileContext = {
  resolvePath: (p) => p,
  named: () => undefined,
  loadErrorFile: (path) => Buffer.from(FILES[path] ?? '', 'latin1'),
  httpErrors: () => null,
};

/** One rule of `set` from its words (no condition). */
function compileOne(set: HttpRuleSet, text: string): { list: HttpRuleList; errors: RuleCompileError[] } {
  const [action, ...args] = text.split(' ');
  const spec: RuleSpec = {
    file: 't.cfg',
    line: 1,
    ruleSet: set,
    action: action!,
    args,
    condition: undefined,
  };
  const errors: RuleCompileError[] = [];
  const list = HttpRuleList.compile(set, [spec], ctx, 'fe', (e) => errors.push(e));
  return { list, errors };
}

function onRequest(text: string, target = '/p', headers: string[] = ['Host', 'a']) {
  const { list, errors } = compileOne('http-request', text);
  expect(errors.map((e) => e.message)).toEqual([]);
  const msg = request('GET', target, headers);
  const out = newOutcome();
  const verdict = list.run(envFor(msg), msg, out);
  return { msg, out, verdict };
}

describe('reason phrases of the replies HAProxy builds', () => {
  it('uses its own table and a class text for unknown codes', () => {
    expect([302, 502, 504, 299, 350, 499, 599, 600].map(haproxyReason)).toEqual([
      'Moved Temporarily',
      'Bad Gateway or Proxy Error',
      'Gateway Time-out',
      'Success',
      'Redirection',
      'client has closed connection',
      'Server Error',
      'Other',
    ]);
  });
  it('return status 302 is "Moved Temporarily" (a redirect 302 is "Found")', () => {
    expect(onRequest('return status 302 hdr Location /x').out.reply?.head).toBe(
      'HTTP/1.1 302 Moved Temporarily\r\nlocation: /x\r\ncontent-length: 0\r\n',
    );
    expect(onRequest('redirect location /x').out.reply?.head.startsWith('HTTP/1.1 302 Found\r\n')).toBe(true);
  });
  it('set-status without a reason on an unknown code gets the class text', () => {
    const { list } = compileOne('http-response', 'set-status 299');
    const res = response(200, 'OK');
    list.run(envFor(request('GET', '/'), res), res, newOutcome());
    expect([res.status, res.reason]).toEqual([299, 'Success']);
  });
});

describe('return and deny payloads', () => {
  it('hdr Content-Length, Transfer-Encoding and Content-Type are ignored; an empty hdr value is not sent', () => {
    const r = onRequest(
      'return status 200 content-type text/plain string ok hdr Content-Length 99 hdr transfer-encoding chunked hdr Content-Type x/y hdr X-Empty %[req.hdr(x-none)] hdr X-A 1',
    );
    expect(r.out.reply?.head).toBe(
      'HTTP/1.1 200 OK\r\nx-a: 1\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n',
    );
  });
  it('an lf-string that renders empty has no content-type', () => {
    const r = onRequest('return status 200 content-type text/plain lf-string %[req.hdr(x-none)]');
    expect(r.out.reply?.head).toBe('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n');
  });
  it('deny alone or with deny_status alone is the error page; "status" without a payload is an empty reply', () => {
    const page = onRequest('deny deny_status 429');
    expect([page.verdict, page.out.status, page.out.reply]).toEqual([V_DENY, 429, undefined]);
    const empty = onRequest('deny status 200');
    expect(empty.verdict).toBe(V_DENY);
    expect(empty.out.reply?.head).toBe('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n');
  });
  it('deny deny_status <code> with an errorfile sends the file as HAProxy renders it', () => {
    const r = onRequest('deny deny_status 503 errorfile keep.http');
    expect(r.out.reply?.head).toBe(
      'HTTP/1.1 503 Service Unavailable\r\nx-from: file\r\ncontent-length: 3\r\n',
    );
    expect(r.out.reply?.body.toString()).toBe('no\n');
    expect(r.out.reply?.close).toBeUndefined();
  });
  it('an errorfile saying Connection: close closes the connection, without the token in its head', () => {
    const r = onRequest('return status 400 errorfile close.http');
    expect(r.out.reply?.head).toBe(
      'HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: 4\r\n',
    );
    expect(r.out.reply?.close).toBe(true);
  });
  it('default-errorfiles refuses a status HAProxy has no page for', () => {
    expect(compileOne('http-request', 'return status 418 default-errorfiles').errors).toHaveLength(1);
  });
  it('a response rule builds its reply once the server response is gone: status and res.hdr are empty', () => {
    const { list } = compileOne(
      'http-response',
      'return status 200 content-type text/plain lf-string was%[status]%[res.hdr(x-v)]',
    );
    const res = response(419, 'Whatever', ['X-V', 'v9']);
    const env = envFor(request('GET', '/'), res);
    const out = newOutcome();
    expect(list.run(env, res, out)).toBe(V_REPLY);
    expect(out.reply?.body.toString()).toBe('was');
    expect(env.res).toBe(res);
  });
  it('only a redirect asks to close a connection whose request has a body', () => {
    expect(onRequest('redirect location /x').out.closeWithBody).toBe(true);
    expect(onRequest('return status 200').out.closeWithBody).toBe(false);
    expect(onRequest('deny').out.closeWithBody).toBe(false);
  });
});

describe('rewrites', () => {
  it('replace-value replaces a value with the blanks around it', () => {
    const r = onRequest('replace-value X-Rv ^a$ A', '/', [
      'X-Rv',
      'a, b, a',
      'X-Rv',
      'a ,b , c',
      'X-Rv',
      'b, "a,a", a',
    ]);
    expect(r.msg.headers).toEqual(['X-Rv', 'A, b,A', 'X-Rv', 'A,b , c', 'X-Rv', 'b, "a,a",A']);
  });
  it.each([
    ['set-uri http://other.example:8080/abs', '/p', 'http://other.example:8080/abs', 'other.example:8080'],
    ['set-uri https://u:p@h.example/x?y', '/p', 'https://u:p@h.example/x?y', 'h.example'],
    ['set-uri /local', 'http://h.example/p', '/local', 'a'],
    ['replace-uri ^/(.*) http://r.example/\\1', '/p', 'http://r.example/p', 'r.example'],
    ['set-path /z', 'http://h.example/p', 'http://h.example/z', 'a'],
  ])('%s on %s: target %s, Host %s', (text, target, wantTarget, wantHost) => {
    const r = onRequest(text, target, ['Host', 'a', 'X', '1', 'host', 'a']);
    expect(r.msg.target).toBe(wantTarget);
    expect(r.msg.headers).toEqual(['Host', wantHost, 'X', '1', 'host', wantHost]);
  });
});

describe('switching', () => {
  it('a dynamic use_backend naming no backend skips the later rules', () => {
    const rules = TargetRules.compile(
      'use_backend',
      [
        { file: 't.cfg', line: 1, name: 'be_%[req.hdr(x-be)]', condition: undefined },
        { file: 't.cfg', line: 2, name: 'be_c', condition: undefined },
      ],
      ctx,
      (n) => n === 'be_a' || n === 'be_c',
      () => {},
    );
    expect(rules.select(envFor(request('GET', '/', ['x-be', 'a'])))).toBe('be_a');
    expect(rules.select(envFor(request('GET', '/', ['x-be', 'nope'])))).toBeUndefined();
    expect(rules.select(envFor(request('GET', '/')))).toBeUndefined();
  });
});
