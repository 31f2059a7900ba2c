// Runs three http-request rules on one request and prints what they did.
import { createVarStore } from '@hap/sample';
import { type HttpMessage, HttpRuleList, newOutcome, type RuleSpec } from '../src/index.ts';

const specs: RuleSpec[] = [
  {
    file: 'example',
    line: 1,
    ruleSet: 'http-request',
    action: 'set-header',
    args: ['X-Path', '%[path]'],
    condition: undefined,
  },
  {
    file: 'example',
    line: 2,
    ruleSet: 'http-request',
    action: 'replace-path',
    args: ['^/api/(.*)', '/\\1'],
    condition: undefined,
  },
  {
    file: 'example',
    line: 3,
    ruleSet: 'http-request',
    action: 'del-header',
    args: ['x-debug'],
    condition: undefined,
  },
];
const rules = HttpRuleList.compile(
  'http-request',
  specs,
  {
    resolvePath: (p) => p,
    named: () => undefined,
    loadErrorFile: () => Buffer.alloc(0),
    httpErrors: () => null,
  },
  'fe',
  (e) => console.error(`${e.file}:${e.line}: ${e.message}`),
);
const msg: HttpMessage = {
  method: 'GET',
  target: '/api/users?id=1',
  version: 'HTTP/1.1',
  status: 0,
  reason: '',
  headers: ['Host', 'example.com', 'X-Debug', '1'],
  body: undefined,
};
const verdict = rules.run(
  {
    src: '127.0.0.1',
    srcPort: 40000,
    dst: '127.0.0.1',
    dstPort: 80,
    frontend: 'fe',
    backend: 'fe',
    server: undefined,
    req: msg,
    res: undefined,
    ssl: undefined,
    vars: createVarStore(new Map()),
    world: { nbsrv: () => 1, beConn: () => 0, queue: () => 0, feConn: () => 1, serverUp: () => true },
  },
  msg,
  newOutcome(),
);
console.log({ verdict, target: msg.target, headers: msg.headers });
