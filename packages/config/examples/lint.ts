// Lint a configuration held in memory, as an editor plugin or a CI step would.
// Run: node packages/config/examples/lint.ts   (Node 24 runs TypeScript directly)
import { formatDiagnostic, parseConfig } from '../src/index.ts';

const text = `global
    maxconn 1000

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend www
    bind :8080
    timeout clinet 10s
    use_backend api if { path_beg /api }
    default_backend app

backend app
    balance roundrobin
    server a1 127.0.0.1:9001 check
`;

const result = parseConfig(text, 'example.cfg', { env: {} });
for (const d of result.diagnostics) console.log(formatDiagnostic(d, 0));
console.log(result.ok ? 'valid' : 'invalid');
console.log(
  'frontends:',
  result.model.proxies.filter((p) => p.kind === 'frontend').map((p) => p.name),
);
