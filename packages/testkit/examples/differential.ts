// A differential run: the same configuration through real HAProxy and through haproxyd.
// Run from the repository root:  .tools/bin/node packages/testkit/examples/differential.ts
import {
  type Binary,
  checkConfig,
  cleanupAll,
  freePorts,
  renderConfig,
  request,
  requireHaproxy,
  startHttpBackend,
  startProxy,
  startTcpEchoBackend,
  writeConfig,
} from '../src/index.ts';

const TEMPLATE = `defaults
  timeout connect 5s
  timeout client 30s
  timeout server 30s

listen tcp_in
  mode tcp
  bind 127.0.0.1:\${TCP_PORT}
  server echo \${ECHO}

listen http_in
  mode http
  bind 127.0.0.1:\${HTTP_PORT}
  http-request set-header X-Forwarded-By proxy
  server web \${WEB}
`;

async function run(binary: Binary, echo: string, web: string): Promise<string> {
  // Fresh ports per program: both run side by side with the same configuration text.
  const [tcpPort, httpPort] = (await freePorts(2)) as [number, number];
  const cfg = writeConfig(
    renderConfig(TEMPLATE, { TCP_PORT: tcpPort, HTTP_PORT: httpPort, ECHO: echo, WEB: web }),
    `${binary}.cfg`,
  );

  const check = await checkConfig(binary, [cfg]);
  const alerts = check.alerts.map((a) => `${a.line ?? '-'}: ${a.message}`);
  console.log(`${binary} -c: exit ${check.code}, ${check.alerts.length} alert(s)`, alerts);

  try {
    const proxy = await startProxy(binary, cfg, { readyPorts: [tcpPort, httpPort] });
    const res = await request(`http://127.0.0.1:${httpPort}/hello`);
    const seen = JSON.parse(res.body) as { headers: Record<string, string> };
    await proxy.stop();
    return `status ${res.status}, backend saw x-forwarded-by=${seen.headers['x-forwarded-by']}`;
  } catch (e) {
    // haproxyd does not run the daemon yet (only -c): say so instead of failing the example.
    return `could not run: ${(e as Error).message.split('\n')[0]}`;
  }
}

try {
  const info = requireHaproxy();
  console.log(`reference: ${info.detail}`);
  const echo = await startTcpEchoBackend();
  const web = await startHttpBackend(undefined, { name: 'web1' });
  for (const binary of ['haproxy', 'haproxyd'] as const) {
    console.log(`${binary}: ${await run(binary, echo.addr, web.addr)}`);
  }
  console.log(`the HTTP backend received ${web.requests.length} request(s)`);
} finally {
  await cleanupAll();
}
