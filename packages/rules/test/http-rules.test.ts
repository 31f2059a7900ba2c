import { describe, expect, it } from 'vitest';
import {
  HttpRuleList,
  type HttpRuleSet,
  newOutcome,
  RedirectRules,
  type RuleCompileContext,
  type RuleCompileError,
  type RuleSpec,
  TargetRules,
  V_ALLOW,
  V_CONTINUE,
  V_DENY,
  V_REJECT,
  V_REPLY,
  V_TARPIT,
} from '../src/index.ts';
import { envFor, request, response } from './env.ts';

const ctx: RuleCompileContext = {
  resolvePath: (p) => p,
  named: (name) => (name === 'is_api' ? [['path_beg', '/api']] : undefined),
  loadErrorFile: () => Buffer.from('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 2\r\n\r\nno'),
  httpErrors: () => null,
};

let line = 0;
function rule(ruleSet: string, text: string): RuleSpec {
  const words = text.split(' ');
  const at = words.findIndex((w) => w === 'if' || w === 'unless');
  const head = at < 0 ? words : words.slice(0, at);
  const condition =
    at < 0
      ? undefined
      : {
          polarity: words[at] as 'if' | 'unless',
          terms: [words.slice(at + 1).map((w) => ({ negate: w.startsWith('!'), acl: w.replace(/^!/, '') }))],
        };
  return { file: 't.cfg', line: ++line, ruleSet, action: head[0]!, args: head.slice(1), condition };
}

function compile(set: HttpRuleSet, ...lines: string[]): { list: HttpRuleList; errors: RuleCompileError[] } {
  const errors: RuleCompileError[] = [];
  const list = HttpRuleList.compile(
    set,
    lines.map((l) => rule(set, l)),
    ctx,
    'fe',
    (e) => errors.push(e),
  );
  return { list, errors };
}

function runRequest(lines: string[], target = '/x?a=1', headers: string[] = ['Host', 'example.com']) {
  const { list, errors } = compile('http-request', ...lines);
  expect(errors.map((e) => e.message)).toEqual([]);
  const msg = request('GET', target, headers);
  const out = newOutcome();
  const verdict = list.run(envFor(msg), msg, out);
  return { msg, out, verdict };
}

describe('header actions', () => {
  it('set-header replaces every occurrence, reading the old value first', () => {
    const { msg } = runRequest(['set-header X-A %[req.hdr(x-a)]-new'], '/', [
      'X-A',
      'one',
      'Host',
      'h',
      'x-a',
      'two',
    ]);
    expect(msg.headers).toEqual(['Host', 'h', 'X-A', 'two-new']); // hdr() reads the last occurrence
  });
  it('add-header appends, del-header removes by name without case', () => {
    const { msg } = runRequest(['add-header X-B 1', 'del-header host'], '/', ['HOST', 'h', 'x-b', '0']);
    expect(msg.headers).toEqual(['x-b', '0', 'X-B', '1']);
  });
  it('del-header -m beg removes every name with the prefix', () => {
    const { msg } = runRequest(['del-header x- -m beg'], '/', ['X-One', '1', 'Host', 'h', 'x-two', '2']);
    expect(msg.headers).toEqual(['Host', 'h']);
  });
  it('replace-header replaces the whole value of matching fields with the expanded text', () => {
    const { msg } = runRequest(['replace-header Host ^(.*)\\.com$ \\1.org'], '/', [
      'Host',
      'a.com',
      'host',
      'b.net',
    ]);
    expect(msg.headers).toEqual(['Host', 'a.org', 'host', 'b.net']);
  });
  it('replace-value works on each comma-separated value', () => {
    const { msg } = runRequest(['replace-value X-L ^a(.*) z\\1'], '/', ['X-L', 'a1, b2,a3']);
    expect(msg.headers).toEqual(['X-L', 'z1, b2,z3']);
  });
});

describe('start line actions', () => {
  it.each([
    ['set-path /new', '/old?q=1', '/new?q=1'],
    ['set-path /new', 'http://h:80/old?q', 'http://h:80/new?q'],
    ['set-pathq /p?z', '/old?q=1', '/p?z'],
    ['set-query b=2', '/p?a=1', '/p?b=2'],
    ['set-query b=2', '/p', '/p?b=2'],
    ['set-uri /whole', 'http://h/x', '/whole'],
    ['replace-path ^/api/(.*) /\\1', '/api/v1?x=/api/', '/v1?x=/api/'],
    ['replace-path ^/nomatch /z', '/api/v1', '/api/v1'],
    ['replace-uri ^http://([^/]*)/(.*) /\\2', 'http://h/a/b', '/a/b'],
  ])('%s: %s → %s', (text, target, want) => {
    expect(runRequest([text], target).msg.target).toBe(want);
  });
  it('set-method', () => {
    expect(runRequest(['set-method POST']).msg.method).toBe('POST');
  });
  it('set-status gives the standard reason unless one is given', () => {
    for (const [text, reason] of [
      ['set-status 404', 'Not Found'],
      ['set-status 503 reason Busy', 'Busy'],
    ] as const) {
      const { list } = compile('http-response', text);
      const msg = response(200, 'OK');
      list.run(envFor(request('GET', '/'), msg), msg, newOutcome());
      expect([msg.status, msg.reason]).toEqual([Number(text.split(' ')[1]), reason]);
    }
  });
});

describe('verdicts', () => {
  it('allow stops the list; conditions decide which rules run', () => {
    const r = runRequest(['allow if is_api', 'deny'], '/api/x');
    expect(r.verdict).toBe(V_ALLOW);
    expect(runRequest(['allow if is_api', 'deny'], '/web').verdict).toBe(V_DENY);
    expect(runRequest(['deny unless is_api'], '/api').verdict).toBe(V_CONTINUE);
  });
  it('deny uses the error page unless it has a payload', () => {
    const plain = runRequest(['deny deny_status 429']);
    expect([plain.verdict, plain.out.status, plain.out.reply]).toEqual([V_DENY, 429, undefined]);
    const own = runRequest(['deny status 403 content-type text/plain string nope hdr X-Why %[path]']);
    expect(own.out.reply?.head).toBe(
      'HTTP/1.1 403 Forbidden\r\nx-why: /x\r\ncontent-length: 4\r\ncontent-type: text/plain\r\n',
    );
    expect(own.out.reply?.body.toString()).toBe('nope');
  });
  it('return without a payload is an empty response of its status', () => {
    const r = runRequest(['return status 204 content-type text/plain']);
    expect(r.verdict).toBe(V_REPLY);
    expect(r.out.reply?.head).toBe('HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n');
  });
  it('return lf-string renders per request', () => {
    const r = runRequest(['return status 200 content-type text/plain lf-string %[path]'], '/hello');
    expect(r.out.reply?.body.toString()).toBe('/hello');
  });
  it('return default-errorfiles asks for the error page', () => {
    const r = runRequest(['return status 503 default-errorfiles']);
    expect([r.verdict, r.out.status, r.out.reply]).toEqual([V_REPLY, 503, undefined]);
  });
  it('auth challenges with the realm, the proxy name by default', () => {
    expect(runRequest(['auth']).out.extraHeader).toBe('www-authenticate: Basic realm="fe"\r\n');
    expect(runRequest(['auth realm Private']).out.extraHeader).toBe(
      'www-authenticate: Basic realm="Private"\r\n',
    );
  });
  it('tarpit and reject', () => {
    const t = runRequest(['tarpit deny_status 403']);
    expect([t.verdict, t.out.status]).toEqual([V_TARPIT, 403]);
    expect(runRequest(['reject']).verdict).toBe(V_REJECT);
  });
  it('set-var then a condition on it', () => {
    const r = runRequest(['set-var(txn.p) path', 'set-header X-P %[var(txn.p)]']);
    expect(r.msg.headers).toEqual(['Host', 'example.com', 'X-P', '/x']);
  });
});

describe('redirect', () => {
  const cases: [string, string, string][] = [
    [
      'redirect location /login',
      '/x?a=1',
      'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /login\r\ncache-control: no-cache\r\n',
    ],
    [
      'redirect prefix https://b.example code 301',
      '/x?a=1',
      'HTTP/1.1 301 Moved Permanently\r\ncontent-length: 0\r\nlocation: https://b.example/x?a=1\r\n',
    ],
    [
      'redirect prefix / drop-query append-slash',
      '/x?a=1',
      'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /x/\r\ncache-control: no-cache\r\n',
    ],
    [
      'redirect scheme https code 308',
      '/x?a=1',
      'HTTP/1.1 308 Permanent Redirect\r\ncontent-length: 0\r\nlocation: https://example.com/x?a=1\r\n',
    ],
    [
      'redirect location /l keep-query set-cookie A=1',
      '/x?a=1',
      'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /l?a=1\r\ncache-control: no-cache\r\nset-cookie: A=1; path=/;\r\n',
    ],
  ];
  it.each(cases)('%s (%s)', (text, target, head) => {
    const r = runRequest([text], target);
    expect(r.verdict).toBe(V_REPLY);
    expect(r.out.reply?.head).toBe(head);
  });
  it('the redirect keyword is a rule list of its own', () => {
    const errors: RuleCompileError[] = [];
    const rules = RedirectRules.compile(
      [rule('redirect', 'redirect location /l if is_api')].map((r) => ({ ...r, args: ['location', '/l'] })),
      ctx,
      (e) => errors.push(e),
    );
    expect(errors).toEqual([]);
    const msg = request('GET', '/web');
    expect(rules.run(envFor(msg), msg, newOutcome())).toBe(V_CONTINUE);
  });
});

describe('switching', () => {
  it('use_backend: fixed names must exist; a dynamic name that does not exist ends the rules', () => {
    const errors: RuleCompileError[] = [];
    const exists = (n: string) => n === 'be_a' || n === 'api';
    const rules = TargetRules.compile(
      'use_backend',
      [
        { file: 't.cfg', line: 1, name: 'missing', condition: undefined },
        { file: 't.cfg', line: 2, name: 'be_%[req.hdr(x-be)]', condition: undefined },
        {
          file: 't.cfg',
          line: 3,
          name: 'api',
          condition: { polarity: 'if', terms: [[{ negate: false, acl: 'is_api' }]] },
        },
      ],
      ctx,
      exists,
      (e) => errors.push(e),
    );
    expect(errors.map((e) => [e.line, e.message])).toEqual([
      [1, "unable to find required use_backend: 'missing'."],
    ]);
    expect(rules.select(envFor(request('GET', '/', ['x-be', 'a'])))).toBe('be_a');
    // a dynamic name naming no backend ends the rules: the default backend, not the next rule
    expect(rules.select(envFor(request('GET', '/api/1', ['x-be', 'zz'])))).toBeUndefined();
    expect(rules.select(envFor(request('GET', '/', ['x-be', 'zz'])))).toBeUndefined();
  });
});

describe('bad rules are reported with their line', () => {
  it.each([
    ['set-header X'],
    ['replace-path ( /x'],
    ['return string x'],
    ['deny deny_status 99'],
    ['set-var(nope) path'],
    ['capture req.hdr(host) len 10'],
  ])('%s', (text) => {
    const { list, errors } = compile('http-request', text);
    expect(list.length).toBe(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.file).toBe('t.cfg');
    expect(errors[0]!.message.length).toBeGreaterThan(10);
  });
});
