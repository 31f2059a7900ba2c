// Run: node packages/sample/examples/route.ts  (Node 24 runs .ts files directly)
// What a proxy does with @hap/sample for one request: pick a backend with conditions
// (named and anonymous ACLs, a map), build a header and a log line with log-format
// strings, keep variables across rules; then change the map as the runtime API's
// `set map sites.map example.com boutique` does.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CompileOptions,
  compileCondition,
  compileLogFormat,
  compileSampleExpr,
  createVarStore,
  PATTERN_REFS,
  type SampleEnv,
  type SampleValue,
} from '../src/index.ts';

// haproxy.cfg would say:
//   acl is_api   path_beg /api/
//   acl is_api   hdr_beg(host) -i api.
//   acl internal src 10.0.0.0/8 192.168.0.0/16
//   http-request set-var(txn.site) hdr(host),lower,map_dom(sites.map,default)
//   use_backend api if is_api !{ req.hdr_cnt(x-debug) gt 0 } || internal METH_POST
//   http-request set-header X-Site %[var(txn.site)]
//   log-format "%ci:%cp %HM %HU site=%[var(txn.site)] %{+Q}[req.hdr(user-agent)]"
const dir = mkdtempSync(join(tmpdir(), 'hap-sample-example-'));
writeFileSync(join(dir, 'sites.map'), '# domain  site\nexample.com shop\nexample.org blog\n');
const opts: CompileOptions = { file: 'haproxy.cfg', line: 1, resolvePath: (p) => join(dir, p) };

const acls: Record<string, string[][]> = {
  is_api: [
    ['path_beg', '/api/'],
    ['hdr_beg(host)', '-i', 'api.'],
  ],
  internal: [['src', '10.0.0.0/8', '192.168.0.0/16']],
};
const useApi = compileCondition(
  {
    polarity: 'if',
    terms: [
      [
        { negate: false, acl: 'is_api' },
        { negate: true, acl: '', anonymous: ['req.hdr_cnt(x-debug)', 'gt', '0'] },
      ],
      [
        { negate: false, acl: 'internal' },
        { negate: false, acl: 'METH_POST' },
      ],
    ],
  },
  (name) => acls[name],
  opts,
);
const site = compileSampleExpr('hdr(host),lower,map_dom(sites.map,default)', opts);
const header = compileLogFormat('%[var(txn.site)]', opts);
const logLine = compileLogFormat('%ci:%cp %HM %HU site=%[var(txn.site)] %{+Q}[req.hdr(user-agent)]', {
  ...opts,
  logFormatUse: 'log',
});

// one stream: the proxy fills the environment as it parses the request
const proc = new Map<string, SampleValue>();
const env: SampleEnv = {
  src: '192.168.1.20',
  srcPort: 51234,
  dst: '10.0.0.1',
  dstPort: 80,
  frontend: 'www',
  backend: undefined,
  server: undefined,
  req: {
    method: 'POST',
    target: '/api/v2/orders?id=42',
    version: 'HTTP/1.1',
    status: 0,
    headers: ['Host', 'Shop.Example.COM', 'User-Agent', 'curl/8.5', 'Content-Length', '0'],
    body: undefined,
  },
  res: undefined,
  ssl: undefined,
  vars: createVarStore(proc),
  world: {
    nbsrv: () => 2,
    beConn: () => 0,
    queue: () => 0,
    feConn: () => 1,
    serverUp: () => true,
  },
};

const s = site.eval(env);
if (s !== undefined) env.vars.set('txn.site', s);
env.backend = useApi.test(env) ? 'api' : 'web';
console.log('backend:     ', env.backend); // api
console.log('X-Site:      ', header.render(env)); // shop
console.log('log line:    ', logLine.render(env)); // 192.168.1.20:51234 POST /api/v2/orders?id=42 site=shop "curl/8.5"
console.log('constant?    ', compileLogFormat('static text', opts).constant); // static text

// `set map sites.map example.com boutique`: the next lookup sees it
PATTERN_REFS.lookup('sites.map')?.setKey('example.com', 'boutique');
console.log('after set map', site.eval(env)); // boutique
