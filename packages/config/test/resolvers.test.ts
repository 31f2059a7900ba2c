// `resolvers` sections: what each line sets (resolversOf()), the section and server-option
// lines that are refused, and the checks after parsing (a server naming a section that does
// not exist, a section without name server, two sections with one name).
import { formatDiagnostic, parseConfig, resolversOf } from '@hap/config';
import { describe, expect, it } from 'vitest';

const PID = 4242;

function parse(section: string, server = 'server s1 app.test:80 resolvers dns init-addr none') {
  const text = `resolvers dns\n${section}\nbackend b\n  timeout connect 1s\n  timeout server 1s\n  ${server}\n`;
  const r = parseConfig(text, 'haproxy.cfg', { env: {}, cwd: '/nonexistent' });
  return {
    r,
    lines: r.diagnostics
      .filter((d) => d.level === 'alert' || d.level === 'warning')
      .map((d) => formatDiagnostic(d, PID)),
  };
}

describe('resolvers section', () => {
  it('reads every keyword into the section settings', () => {
    const { r, lines } = parse(
      [
        '  nameserver ns1 127.0.0.1:53',
        '  nameserver ns2 [::1]:5353',
        '  nameserver ns3 udp@127.0.0.2:53',
        '  nameserver ns4 :53',
        '  accepted_payload_size 8192',
        '  resolve_retries 5',
        '  timeout resolve 2s',
        '  timeout retry 300',
        '  hold valid 1s',
        '  hold nx 2s',
        '  hold other 3s',
        '  hold refused 4s',
        '  hold timeout 5s',
        '  hold obsolete 6s',
      ].join('\n'),
    );
    expect(lines).toEqual([]);
    expect(r.ok).toBe(true);
    const [dns] = resolversOf(r.model);
    expect(dns).toMatchObject({
      name: 'dns',
      acceptedPayloadSize: 8192,
      resolveRetries: 5,
      timeoutResolve: 2000,
      timeoutRetry: 300,
      hold: { valid: 1000, nx: 2000, other: 3000, refused: 4000, timeout: 5000, obsolete: 6000 },
    });
    expect(dns!.nameservers.map((n) => `${n.name} ${n.host} ${n.port}`)).toEqual([
      'ns1 127.0.0.1 53',
      'ns2 ::1 5353',
      'ns3 127.0.0.2 53',
      'ns4 0.0.0.0 53',
    ]);
  });

  it("has HAProxy's defaults", () => {
    const [dns] = resolversOf(parse('  nameserver ns1 127.0.0.1:53').r.model);
    expect(dns).toMatchObject({
      acceptedPayloadSize: 512,
      resolveRetries: 3,
      timeoutResolve: 1000,
      timeoutRetry: 1000,
      hold: { valid: 10000, nx: 30000, other: 30000, refused: 30000, timeout: 30000, obsolete: 0 },
    });
  });

  it.each([
    [
      '  nameserver ns1',
      "parsing [haproxy.cfg:2] : 'nameserver' expects <name> and <addr>[:<port>] as arguments.",
    ],
    [
      '  nameserver ns1 127.0.0.1',
      "parsing [haproxy.cfg:2] : 'nameserver ns1' : missing port specification in '127.0.0.1'",
    ],
    ['  nameserver ns1 127.0.0.1:0', "parsing [haproxy.cfg:2] : 'nameserver ns1' : invalid port '0'"],
    ['  nameserver ns1 tcp@127.0.0.1:53', 'is not supported yet'],
    [
      '  nameserver ns1 127.0.0.1:53\n  nameserver ns1 127.0.0.2:53',
      "nameserver 'ns1' has same name as another nameserver (declared at haproxy.cfg:2).",
    ],
    ['  nameserver ns1 127.0.0.1:53\n  hold foo 1s', "'hold' unknown <event>: 'foo'"],
    [
      '  nameserver ns1 127.0.0.1:53\n  hold valid 1x',
      "parsing [haproxy.cfg:3]: unexpected character 'x' in argument to <hold>.",
    ],
    [
      '  nameserver ns1 127.0.0.1:53\n  timeout query 1s',
      "'timeout' expects 'retry' or 'resolve' and <time> as arguments got 'query'.",
    ],
    [
      '  nameserver ns1 127.0.0.1:53\n  accepted_payload_size 70000',
      "'accepted_payload_size' must be between 12 and 65535 inclusive (was 70000).",
    ],
  ])('refuses %j', (section, said) => {
    const { r, lines } = parse(section);
    expect(r.ok).toBe(false);
    expect(lines.join('\n')).toContain(said);
  });

  it('checks the sections servers name, and warns of a section without name server', () => {
    const missing = parse(
      '  nameserver ns1 127.0.0.1:53',
      'server s1 app.test:80 resolvers nope init-addr none',
    );
    expect(missing.lines).toEqual([
      `[ALERT]    (${PID}) : config : proxy 'b', server 's1': unable to find required resolvers 'nope'`,
    ]);
    const empty = parse('');
    expect(empty.lines).toEqual([
      `[WARNING]  (${PID}) : config : resolvers 'dns' [haproxy.cfg:1] has no nameservers configured!`,
    ]);
  });

  it('checks the DNS options of a server line', () => {
    const bad = (opt: string) =>
      parse(
        '  nameserver ns1 127.0.0.1:53',
        `server s1 app.test:80 resolvers dns ${opt} init-addr none`,
      ).lines.join('\n');
    expect(bad('resolve-prefer ipv5')).toContain(
      "'resolve-prefer' expects either ipv4 or ipv6 as argument..",
    );
    expect(bad('resolve-net 10.0.0.0/8,foo')).toContain("'resolve-net' invalid network 'foo'..");
    expect(bad('resolve-opts foo')).toContain("unknown resolve-opts option 'foo'");
    expect(bad('resolve-net 10.0.0.0/8,::1/128 resolve-prefer ipv6')).toBe('');
    // a name only DNS knows is fine with init-addr none, or no init-addr with resolvers
    // (HAProxy falls back to none then, and warns as haproxy -c does); refused when only the
    // system resolver may answer
    const lines = (server: string) => parse('  nameserver ns1 127.0.0.1:53', server).lines.join('\n');
    expect(lines('server s1 app.test:80 resolvers dns')).toMatch(
      /\[WARNING\].*'server b\/s1' : could not resolve address 'app.test', disabling server\.$/,
    );
    expect(lines('server s1 app.test:80 resolvers dns init-addr libc')).toContain(
      "could not resolve address 'app.test'",
    );
    expect(lines('server s1 app.test:80 init-addr none')).toBe('');
    expect(lines('server s1 app.test:80')).toContain("could not resolve address 'app.test'");
  });

  it('server-template makes one server per slot, named by prefix and number', () => {
    const names = (line: string) =>
      parse('  nameserver ns1 127.0.0.1:53', line).r.model.proxies[0]!.servers.map(
        (s) => `${s.name} ${s.address.host}:${s.address.port}`,
      );
    expect(names('server-template web 3 app.test:8080 resolvers dns init-addr none')).toEqual([
      'web1 app.test:8080',
      'web2 app.test:8080',
      'web3 app.test:8080',
    ]);
    expect(names('server-template web 2-3 127.0.0.1:80')).toEqual(['web2 127.0.0.1:80', 'web3 127.0.0.1:80']);
    const said = (line: string) => parse('  nameserver ns1 127.0.0.1:53', line).lines.join('\n');
    expect(said('server-template web 0 127.0.0.1:80')).toContain(
      "Wrong server-template number or range arg '0'.",
    );
    expect(said('server-template web 3')).toContain(
      "'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments.",
    );
    expect(said('server-template web 3 _http._tcp.app.test resolvers dns init-addr none')).toContain(
      'does not support yet',
    );
  });
});
