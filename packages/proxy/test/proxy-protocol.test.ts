// PROXY protocol v1/v2: the reader (accept-proxy) and the encoders (send-proxy, send-proxy-v2).
// The last part runs the real HAProxy 2.6: what it emits for send-proxy(-v2) must equal the
// encoders' output for the same addresses, it must accept what the encoders write, and the
// facts stated in src/proxy-protocol.ts (garbage, silence, split headers) are checked there.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { freePort, type ProxyHandle, requireHaproxy, startProxy } from '@hap/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalIp,
  crc32c,
  encodeProxyV1,
  encodeProxyV2,
  PP2_TYPE_ALPN,
  PP2_TYPE_AUTHORITY,
  PP2_TYPE_CRC32C,
  PP2_TYPE_NOOP,
  PP2_TYPE_UNIQUE_ID,
  PROXY_ERROR_LOG_TEXT,
  type ProxyAddresses,
  type ProxyErrorCode,
  type ProxyHeader,
  ProxyHeaderReader,
  ProxyProtocolError,
  type ProxyReadResult,
  parseProxyHeader,
} from '../src/proxy-protocol.ts';

const SIG = '0d0a0d0a000d0a515549540a';
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const latin1 = (s: string) => Buffer.from(s, 'latin1');

function done(r: ProxyReadResult): { header: ProxyHeader; used: number } {
  if (r.status !== 'done') {
    throw new Error(
      `expected a header, got ${r.status === 'error' ? `${r.error.code}: ${r.error.message}` : 'more'}`,
    );
  }
  return r;
}

function errorCode(r: ProxyReadResult): ProxyErrorCode | 'more' | 'done' {
  return r.status === 'error' ? r.error.code : r.status;
}

/** Feeds `chunks` to a new reader; returns the last result and the payload that followed the header. */
function feed(chunks: Buffer[], opts?: ConstructorParameters<typeof ProxyHeaderReader>[0]) {
  const reader = new ProxyHeaderReader(opts);
  let last: ProxyReadResult = { status: 'more' };
  const payload: Buffer[] = [];
  for (const c of chunks) {
    if (reader.done) {
      payload.push(c);
      continue;
    }
    last = reader.push(c);
    if (last.status === 'done') payload.push(c.subarray(last.used));
  }
  return { reader, last, payload: Buffer.concat(payload) };
}

const A4: ProxyAddresses = { src: '192.168.0.1', srcPort: 56324, dst: '192.168.0.11', dstPort: 443 };
const A6: ProxyAddresses = { src: '2001:db8::1', srcPort: 1, dst: 'fe80::a:b:c:d', dstPort: 65535 };
const MIXED: ProxyAddresses = { src: '2001:db8::7', srcPort: 1111, dst: '5.6.7.8', dstPort: 2222 };

describe('encoders', () => {
  it('writes the v1 lines of the specification', () => {
    expect(encodeProxyV1(A4).toString('latin1')).toBe('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n');
    expect(encodeProxyV1(A6).toString('latin1')).toBe('PROXY TCP6 2001:db8::1 fe80::a:b:c:d 1 65535\r\n');
    expect(encodeProxyV1(null).toString('latin1')).toBe('PROXY UNKNOWN\r\n');
    expect(
      encodeProxyV1({ src: '255.255.255.255', srcPort: 65535, dst: '255.255.255.255', dstPort: 65535 })
        .length,
    ).toBe(56);
    const full = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    expect(encodeProxyV1({ src: full, srcPort: 65535, dst: full, dstPort: 65535 }).length).toBe(104);
  });

  it('writes mixed families as TCP6 with the IPv4 side IPv4-mapped (bytes seen from HAProxy 2.6)', () => {
    // captured from haproxy 2.6.12: accept-proxy TCP4 1.2.3.4:1111 -> 5.6.7.8:2222, then
    // `tcp-request content set-src ipv6(2001:db8::7)`, then send-proxy / send-proxy-v2
    expect(encodeProxyV1(MIXED).toString('latin1')).toBe(
      'PROXY TCP6 2001:db8::7 ::ffff:5.6.7.8 1111 2222\r\n',
    );
    expect(encodeProxyV2(MIXED).toString('hex')).toBe(
      `${SIG}21210024` + '20010db8000000000000000000000007' + '00000000000000000000ffff05060708' + '045708ae',
    );
    // and with the IPv6 side as destination
    expect(
      encodeProxyV1({ src: '10.1.2.3', srcPort: 5, dst: '2001:db8::2', dstPort: 6 }).toString('latin1'),
    ).toBe('PROXY TCP6 ::ffff:10.1.2.3 2001:db8::2 5 6\r\n');
  });

  it('writes IPv6 in canonical (inet_ntop) form, whatever the input form', () => {
    const line = (src: string) =>
      encodeProxyV1({ src, srcPort: 1, dst: '::1', dstPort: 2 }).toString('latin1');
    expect(line('2001:DB8:0:0:0:0:0:1')).toBe('PROXY TCP6 2001:db8::1 ::1 1 2\r\n');
    expect(line('0:0:0:0:0:ffff:7f00:1')).toBe('PROXY TCP6 ::ffff:127.0.0.1 ::1 1 2\r\n');
    expect(line('fe80::1%eth0')).toBe('PROXY TCP6 fe80::1 ::1 1 2\r\n');
    expect(line('1:0:0:1:0:0:0:1')).toBe('PROXY TCP6 1:0:0:1::1 ::1 1 2\r\n');
  });

  it('writes the v2 header: PROXY over TCP4/TCP6, LOCAL for null', () => {
    expect(encodeProxyV2(A4).toString('hex')).toBe(
      `${SIG}2111000c c0a80001 c0a8000b dc04 01bb`.replace(/ /g, ''),
    );
    expect(encodeProxyV2(null).toString('hex')).toBe(`${SIG}20000000`);
    const h6 = encodeProxyV2(A6);
    expect(h6.length).toBe(16 + 36);
    expect(h6.subarray(12, 16).toString('hex')).toBe('21210024');
  });

  it('appends TLVs in the order given, CRC32C first and correct', () => {
    const h = encodeProxyV2(A4, {
      crc32c: true,
      tlvs: [
        { type: PP2_TYPE_ALPN, value: 'h2' },
        { type: PP2_TYPE_AUTHORITY, value: Buffer.from('example.com') },
      ],
    });
    expect(h.readUInt16BE(14)).toBe(12 + 7 + 5 + 14);
    expect(h.subarray(28, 31).toString('hex')).toBe('030004');
    expect(h.subarray(35, 40).toString('hex')).toBe('0100026832');
    expect(h.subarray(40).toString('latin1')).toBe('\x02\x00\x0bexample.com');
    const zeroed = Buffer.from(h);
    zeroed.writeUInt32BE(0, 31);
    expect(h.readUInt32BE(31)).toBe(crc32c(zeroed));
  });

  it('computes CRC32C (RFC 4960 check value)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('refuses what it cannot write', () => {
    const bad: [ProxyAddresses, string][] = [
      [{ ...A4, src: 'localhost' }, 'HAP_ERR_PROXY_ADDRESS'],
      [{ ...A4, dst: '1.2.3' }, 'HAP_ERR_PROXY_ADDRESS'],
      [{ ...A4, dst: '01.2.3.4' }, 'HAP_ERR_PROXY_ADDRESS'],
      [{ ...A6, src: '1::2::3' }, 'HAP_ERR_PROXY_ADDRESS'],
      [{ ...A4, srcPort: 65536 }, 'HAP_ERR_PROXY_PORT'],
      [{ ...A4, dstPort: -1 }, 'HAP_ERR_PROXY_PORT'],
      [{ ...A4, dstPort: 1.5 }, 'HAP_ERR_PROXY_PORT'],
    ];
    for (const [addrs, code] of bad) {
      expect(() => encodeProxyV1(addrs)).toThrow(expect.objectContaining({ code }));
      expect(() => encodeProxyV2(addrs)).toThrow(expect.objectContaining({ code }));
    }
    expect(() => encodeProxyV2(A4, { tlvs: [{ type: 256, value: '' }] })).toThrow(
      expect.objectContaining({ code: 'HAP_ERR_PROXY_TLV' }),
    );
    expect(() => encodeProxyV2(A4, { tlvs: [{ type: 0xe0, value: Buffer.alloc(65536) }] })).toThrow(
      expect.objectContaining({ code: 'HAP_ERR_PROXY_TLV' }),
    );
    expect(() =>
      encodeProxyV2(A6, {
        tlvs: [
          { type: 0xe0, value: Buffer.alloc(40000) },
          { type: 0xe1, value: Buffer.alloc(30000) },
        ],
      }),
    ).toThrow(expect.objectContaining({ code: 'HAP_ERR_PROXY_TLV' }));
  });
});

describe('canonicalIp', () => {
  it('agrees with Node (inet_ntop) on IPv6 text, for many zero patterns', () => {
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let n = 0; n < 3000; n++) {
      const groups: string[] = [];
      for (let g = 0; g < 8; g++) {
        const r = rnd() % 10;
        groups.push(r < 5 ? '0' : r < 6 ? 'ffff' : (rnd() % 0x10000).toString(16));
      }
      if (rnd() % 4 === 0) {
        groups[5] = rnd() % 2 ? 'ffff' : '0';
        for (let g = 0; g < 5; g++) groups[g] = '0';
      }
      const text = rnd() % 2 ? groups.join(':').toUpperCase() : groups.join(':');
      const node = new net.SocketAddress({ address: text, family: 'ipv6' }).address;
      expect(canonicalIp(text), text).toBe(node);
      // and the canonical text reads back to itself
      expect(canonicalIp(node), node).toBe(node);
    }
  });

  it('accepts exactly what inet_pton accepts', () => {
    const good = [
      '::',
      '::1',
      '1::',
      '1:2:3:4:5:6:7:8',
      '::ffff:1.2.3.4',
      '1::2:3.4.5.6',
      '::0.0.0.0',
      'a:B:c::',
    ];
    const bad = [
      ':',
      ':::',
      ':1',
      '1:',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7::8',
      '12345::',
      '::g',
      '1.2.3.4:1::',
      '::1.2.3',
      '::01.2.3.4',
      '::256.1.1.1',
      '1:2:3:4:5:6:7:1.2.3.4',
      ' ::1',
      '::1 ',
      '',
    ];
    for (const g of good) expect(canonicalIp(g), g).not.toBeNull();
    for (const b of bad) expect(canonicalIp(b), JSON.stringify(b)).toBeNull();
    expect(canonicalIp('1.2.3.4')).toBe('1.2.3.4');
    for (const b of ['01.2.3.4', '1.2.3', '1.2.3.4.5', '256.0.0.0', '1..2.3', '+1.2.3.4', '1.2.3.4 ']) {
      expect(canonicalIp(b), b).toBeNull();
    }
  });
});

describe('reading v1', () => {
  it('reads TCP4, TCP6 and UNKNOWN lines', () => {
    const r = done(parseProxyHeader(latin1('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET /')));
    expect(r.header).toEqual({
      version: 1,
      command: 'PROXY',
      family: 'TCP4',
      transport: 'STREAM',
      src: '192.168.0.1',
      srcPort: 56324,
      dst: '192.168.0.11',
      dstPort: 443,
      tlvs: [],
      length: 47,
    });
    expect(r.used).toBe(47);
    const r6 = done(parseProxyHeader(latin1('PROXY TCP6 2001:DB8:0::1 ::FFFF:10.0.0.1 0 65535\r\n')));
    expect(r6.header).toMatchObject({
      family: 'TCP6',
      src: '2001:db8::1',
      dst: '::ffff:10.0.0.1',
      srcPort: 0,
    });
    expect(done(parseProxyHeader(latin1('PROXY UNKNOWN\r\n'))).header).toMatchObject({
      family: 'UNKNOWN',
      transport: 'UNSPEC',
      src: null,
      dst: null,
      length: 15,
    });
    // the specification's long UNKNOWN form: the rest of the line is ignored
    const long = `PROXY UNKNOWN ${'ffff:'.repeat(7)}ffff ${'ffff:'.repeat(7)}ffff 65535 65535\r\n`;
    expect(long.length).toBe(107);
    expect(done(parseProxyHeader(latin1(long))).header).toMatchObject({ family: 'UNKNOWN', length: 107 });
    expect(done(parseProxyHeader(latin1('PROXY UNKNOWN \x01\xff anything\r\n'))).header.family).toBe(
      'UNKNOWN',
    );
  });

  it('round-trips every encoder output', () => {
    for (const a of [A4, A6, MIXED, { src: '0.0.0.0', srcPort: 0, dst: '255.255.255.255', dstPort: 65535 }]) {
      const h = done(parseProxyHeader(encodeProxyV1(a))).header;
      expect(canonicalIp(h.src ?? '')).toBe(h.src);
      expect(h.srcPort).toBe(a.srcPort);
      expect(h.dstPort).toBe(a.dstPort);
      const again = encodeProxyV1({
        src: h.src ?? '',
        srcPort: h.srcPort,
        dst: h.dst ?? '',
        dstPort: h.dstPort,
      });
      expect(again).toEqual(encodeProxyV1(a));
    }
  });

  const BAD_V1: [string, string, ProxyErrorCode][] = [
    ['lower-case prefix', 'proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n', 'HAP_ERR_PROXY_NOT_HEADER'],
    ['no space after PROXY', 'PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n', 'HAP_ERR_PROXY_NOT_HEADER'],
    ['lower-case protocol', 'PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n', 'HAP_ERR_PROXY_BAD_PROTO'],
    ['unknown protocol', 'PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n', 'HAP_ERR_PROXY_BAD_PROTO'],
    ['UDP4', 'PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n', 'HAP_ERR_PROXY_BAD_PROTO'],
    ['UNKNOWNX', 'PROXY UNKNOWNX\r\n', 'HAP_ERR_PROXY_BAD_PROTO'],
    ['two spaces after PROXY', 'PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n', 'HAP_ERR_PROXY_BAD_PROTO'],
    ['TCP4 without fields', 'PROXY TCP4\r\n', 'HAP_ERR_PROXY_BAD_PROTO'],
    ['double space', 'PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['trailing space', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['missing port', 'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['empty port', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 \r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['extra field', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['LF alone', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\nGET', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['CR alone', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rGET', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['LF alone after UNKNOWN', 'PROXY UNKNOWN\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['port 65536', 'PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['port 70000 (HAProxy wraps it)', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 70000\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['port with leading zero', 'PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['port too long', 'PROXY TCP4 1.2.3.4 5.6.7.8 000001 2\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['signed port', 'PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['octet 256', 'PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['octet leading zero', 'PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['three octets', 'PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['five octets', 'PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['IPv6 in TCP4', 'PROXY TCP4 ::1 5.6.7.8 1 2\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['IPv4 in TCP6', 'PROXY TCP6 1.2.3.4 ::1 1 2\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['bad IPv6', 'PROXY TCP6 1::2::3 ::1 1 2\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['IPv6 zone', 'PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['bad destination', 'PROXY TCP6 ::1 ::12345 1 2\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['tab separator', 'PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['8-bit byte', 'PROXY TCP4 1.2.3.\xb4 5.6.7.8 1 2\r\n', 'HAP_ERR_PROXY_BAD_HEADER'],
    ['no CRLF within 107 bytes', `PROXY UNKNOWN ${'x'.repeat(100)}\r\n`, 'HAP_ERR_PROXY_BAD_HEADER'],
    ['a 108-byte line', `PROXY UNKNOWN ${'x'.repeat(92)}\r\n`, 'HAP_ERR_PROXY_BAD_HEADER'],
    ['HTTP', 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', 'HAP_ERR_PROXY_NOT_HEADER'],
    ['TLS hello', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 'HAP_ERR_PROXY_NOT_HEADER'],
    ['SSH banner', 'SSH-2.0-OpenSSH_9.2\r\n', 'HAP_ERR_PROXY_NOT_HEADER'],
    ['PUT', 'PUT / HTTP/1.1\r\n\r\n', 'HAP_ERR_PROXY_NOT_HEADER'],
  ];

  it.each(BAD_V1)('refuses %s', (_name, input, code) => {
    const r = parseProxyHeader(latin1(input));
    expect(errorCode(r)).toBe(code);
    if (r.status === 'error') {
      expect(r.error).toBeInstanceOf(ProxyProtocolError);
      expect(r.error.logText).toBe(PROXY_ERROR_LOG_TEXT[code]);
      expect(r.error.message.length).toBeGreaterThan(10);
    }
  });

  it('accepts a line of exactly 107 bytes and not 108', () => {
    expect(done(parseProxyHeader(latin1(`PROXY UNKNOWN ${'x'.repeat(91)}\r\n`))).used).toBe(107);
    expect(errorCode(parseProxyHeader(latin1(`PROXY UNKNOWN ${'x'.repeat(92)}\r\n`)))).toBe(
      'HAP_ERR_PROXY_BAD_HEADER',
    );
    // 107 bytes without CRLF: already known to be wrong
    expect(errorCode(parseProxyHeader(latin1(`PROXY UNKNOWN ${'x'.repeat(93)}`)))).toBe(
      'HAP_ERR_PROXY_BAD_HEADER',
    );
    expect(errorCode(parseProxyHeader(latin1(`PROXY UNKNOWN ${'x'.repeat(92)}`)))).toBe('more');
  });

  it('fails as soon as the bytes cannot start a header', () => {
    expect(errorCode(parseProxyHeader(latin1('G')))).toBe('HAP_ERR_PROXY_NOT_HEADER');
    expect(errorCode(parseProxyHeader(latin1('\x00')))).toBe('HAP_ERR_PROXY_NOT_HEADER');
    expect(errorCode(parseProxyHeader(latin1('P')))).toBe('more');
    expect(errorCode(parseProxyHeader(latin1('PU')))).toBe('HAP_ERR_PROXY_NOT_HEADER');
    expect(errorCode(parseProxyHeader(latin1('PROXY X')))).toBe('HAP_ERR_PROXY_BAD_PROTO');
    expect(errorCode(parseProxyHeader(latin1('PROXY TCP4 1.2.3.4 z')))).toBe('HAP_ERR_PROXY_BAD_HEADER');
    expect(errorCode(parseProxyHeader(latin1('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r')))).toBe('more');
    expect(errorCode(parseProxyHeader(latin1('PROXY TCP4 1.2.3.4 5.6.7.8 1 2')))).toBe('more');
  });
});

describe('reading v2', () => {
  it('reads TCP4, TCP6 and their TLVs, with no copy of the values', () => {
    const h = encodeProxyV2(A4, {
      crc32c: true,
      tlvs: [
        { type: PP2_TYPE_ALPN, value: 'h2' },
        { type: PP2_TYPE_AUTHORITY, value: 'example.com' },
        { type: PP2_TYPE_NOOP, value: '' },
        { type: 0xe0, value: Buffer.from([1, 2, 3]) },
      ],
    });
    const input = Buffer.concat([h, latin1('payload')]);
    const r = done(parseProxyHeader(input));
    expect(r.used).toBe(h.length);
    expect(r.header).toMatchObject({
      version: 2,
      command: 'PROXY',
      family: 'TCP4',
      transport: 'STREAM',
      ...A4,
    });
    expect(r.header.tlvs.map((t) => [t.type, t.value.toString('latin1')])).toEqual([
      [PP2_TYPE_CRC32C, h.subarray(31, 35).toString('latin1')],
      [PP2_TYPE_ALPN, 'h2'],
      [PP2_TYPE_AUTHORITY, 'example.com'],
      [PP2_TYPE_NOOP, ''],
      [0xe0, '\x01\x02\x03'],
    ]);
    // a view into the input: the ALPN value sits after the addresses (12) and the CRC TLV (7)
    const alpn = r.header.tlvs[1]?.value as Buffer;
    expect(alpn.buffer).toBe(input.buffer);
    expect(alpn.byteOffset - input.byteOffset).toBe(16 + 12 + 7 + 3);
    const r6 = done(parseProxyHeader(encodeProxyV2(A6)));
    expect(r6.header).toMatchObject({ family: 'TCP6', ...A6 });
  });

  it('round-trips: encode(parse(encode(a))) is encode(a)', () => {
    for (const a of [A4, A6, MIXED]) {
      for (const opts of [{}, { crc32c: true }, { tlvs: [{ type: PP2_TYPE_UNIQUE_ID, value: 'id-1' }] }]) {
        const h = encodeProxyV2(a, opts);
        const p = done(parseProxyHeader(h)).header;
        const again = encodeProxyV2(
          { src: p.src ?? '', srcPort: p.srcPort, dst: p.dst ?? '', dstPort: p.dstPort },
          {
            crc32c: p.tlvs[0]?.type === PP2_TYPE_CRC32C,
            tlvs: p.tlvs.filter((t) => t.type !== PP2_TYPE_CRC32C),
          },
        );
        expect(again).toEqual(h);
      }
    }
  });

  it('reads LOCAL as "use the connection addresses", skipping its block whatever it holds', () => {
    expect(done(parseProxyHeader(encodeProxyV2(null))).header).toEqual({
      version: 2,
      command: 'LOCAL',
      family: 'UNKNOWN',
      transport: 'UNSPEC',
      src: null,
      srcPort: 0,
      dst: null,
      dstPort: 0,
      tlvs: [],
      length: 16,
    });
    // family TCP6 announced but only 12 bytes: LOCAL ignores it (so does HAProxy 2.6)
    const r = done(parseProxyHeader(hex(`${SIG}2021000c 01020304 05060708 0457 08ae 78`)));
    expect(r.header).toMatchObject({ command: 'LOCAL', family: 'UNKNOWN', length: 28 });
    expect(r.used).toBe(28);
    expect(done(parseProxyHeader(hex(`${SIG}20ff0003 ffffff`))).header.command).toBe('LOCAL');
  });

  it('reads PROXY over UNSPEC, UDP and UNIX', () => {
    expect(done(parseProxyHeader(hex(`${SIG}21000004 01020304`))).header).toMatchObject({
      command: 'PROXY',
      family: 'UNKNOWN',
      src: null,
      length: 20,
    });
    const udp = hex(`${SIG}2112000c 01020304 05060708 0035 0036`);
    expect(done(parseProxyHeader(udp)).header).toMatchObject({
      family: 'TCP4',
      transport: 'DGRAM',
      src: '1.2.3.4',
      srcPort: 53,
      dstPort: 54,
    });
    const udp6 = Buffer.concat([
      hex(`${SIG}21220024`),
      Buffer.alloc(15),
      hex('01'),
      Buffer.alloc(15),
      hex('02 0001 0002'),
    ]);
    expect(done(parseProxyHeader(udp6)).header).toMatchObject({
      family: 'TCP6',
      transport: 'DGRAM',
      src: '::1',
      dst: '::2',
    });
    const unix = Buffer.alloc(16 + 216 + 5);
    hex(`${SIG}213100dd`).copy(unix);
    unix.write('/run/a.sock', 16, 'utf8');
    unix.write('\0abstract', 16 + 108, 'utf8');
    hex('04 0002 abcd').copy(unix, 16 + 216);
    const u = done(parseProxyHeader(unix)).header;
    expect(u).toMatchObject({
      family: 'UNIX',
      transport: 'STREAM',
      src: '/run/a.sock',
      dst: '\0abstract',
      srcPort: 0,
    });
    expect(u.tlvs).toHaveLength(1);
  });

  const BAD_V2: [string, string, ProxyErrorCode][] = [
    ['bad signature', `0d0a0d0a000d0a515549540b 2111000c`, 'HAP_ERR_PROXY_NOT_HEADER'],
    ['signature cut by junk', `0d0a0d0a01`, 'HAP_ERR_PROXY_NOT_HEADER'],
    ['CRLF then HTTP', `0d0a474554`, 'HAP_ERR_PROXY_NOT_HEADER'],
    ['version 1', `${SIG}1111000c 01020304 05060708 0457 08ae`, 'HAP_ERR_PROXY_NOT_HEADER'],
    ['version 3', `${SIG}3111000c 01020304 05060708 0457 08ae`, 'HAP_ERR_PROXY_NOT_HEADER'],
    ['command 2', `${SIG}2211000c 01020304 05060708 0457 08ae`, 'HAP_ERR_PROXY_BAD_HEADER'],
    ['command 15', `${SIG}2f000000`, 'HAP_ERR_PROXY_BAD_HEADER'],
    ['family 4', `${SIG}2141000c 01020304 05060708 0457 08ae`, 'HAP_ERR_PROXY_BAD_HEADER'],
    ['transport 3', `${SIG}2113000c 01020304 05060708 0457 08ae`, 'HAP_ERR_PROXY_BAD_HEADER'],
    ['INET with UNSPEC transport', `${SIG}2110000c 01020304 05060708 0457 08ae`, 'HAP_ERR_PROXY_BAD_HEADER'],
    ['family 0x99', `${SIG}2199000c 01020304 05060708 0457 08ae`, 'HAP_ERR_PROXY_BAD_HEADER'],
    ['TCP4 with 11 address bytes', `${SIG}2111000b 01020304 05060708 0457 08`, 'HAP_ERR_PROXY_BAD_HEADER'],
    ['TCP6 with 12 address bytes', `${SIG}2121000c 01020304 05060708 0457 08ae`, 'HAP_ERR_PROXY_BAD_HEADER'],
    ['UNIX with 12 address bytes', `${SIG}2131000c 01020304 05060708 0457 08ae`, 'HAP_ERR_PROXY_BAD_HEADER'],
    [
      'two stray bytes after the addresses',
      `${SIG}2111000e 01020304 05060708 0457 08ae 0400`,
      'HAP_ERR_PROXY_BAD_HEADER',
    ],
    [
      'TLV running past the end',
      `${SIG}21110012 01020304 05060708 0457 08ae 020004 65786d`,
      'HAP_ERR_PROXY_BAD_HEADER',
    ],
    [
      'CRC32C of 3 bytes',
      `${SIG}21110012 01020304 05060708 0457 08ae 030003 000000`,
      'HAP_ERR_PROXY_BAD_HEADER',
    ],
    [
      'wrong CRC32C',
      `${SIG}21110013 01020304 05060708 0457 08ae 030004 00000000`,
      'HAP_ERR_PROXY_BAD_HEADER',
    ],
  ];

  it.each(BAD_V2)('refuses %s', (_name, input, code) => {
    expect(errorCode(parseProxyHeader(hex(input)))).toBe(code);
  });

  it('limits the AUTHORITY and UNIQUE_ID TLVs as HAProxy does (255 and 128 bytes)', () => {
    const ok = encodeProxyV2(A4, {
      tlvs: [
        { type: PP2_TYPE_AUTHORITY, value: 'a'.repeat(255) },
        { type: PP2_TYPE_UNIQUE_ID, value: Buffer.alloc(128, 1) },
      ],
    });
    expect(done(parseProxyHeader(ok)).header.tlvs).toHaveLength(2);
    const authority = encodeProxyV2(A4, { tlvs: [{ type: PP2_TYPE_AUTHORITY, value: 'a'.repeat(256) }] });
    expect(errorCode(parseProxyHeader(authority))).toBe('HAP_ERR_PROXY_BAD_HEADER');
    const uid = encodeProxyV2(A4, { tlvs: [{ type: PP2_TYPE_UNIQUE_ID, value: Buffer.alloc(129) }] });
    expect(errorCode(parseProxyHeader(uid))).toBe('HAP_ERR_PROXY_BAD_HEADER');
  });

  it('detects any single-bit change covered by the CRC32C', () => {
    const h = encodeProxyV2(A6, { crc32c: true, tlvs: [{ type: PP2_TYPE_AUTHORITY, value: 'x.example' }] });
    expect(done(parseProxyHeader(h)).used).toBe(h.length);
    // the address block and the TLV values (changing the signature or lengths fails earlier)
    for (let i = 16; i < h.length; i++) {
      if (i >= 16 + 36 && i < 16 + 36 + 3) continue; // the CRC TLV's own type and length
      const bad = Buffer.from(h);
      bad[i] = (bad[i] as number) ^ 0x10;
      expect(errorCode(parseProxyHeader(bad)), `byte ${i}`).toBe('HAP_ERR_PROXY_BAD_HEADER');
    }
  });

  it('refuses a header over the size limit before reading it', () => {
    const big = hex(`${SIG}2111ffff 01020304`);
    expect(errorCode(parseProxyHeader(big))).toBe('HAP_ERR_PROXY_TOO_LARGE');
    const h = encodeProxyV2(A4, {
      tlvs: [{ type: PP2_TYPE_NOOP, value: Buffer.alloc(16384 - 16 - 12 - 3) }],
    });
    expect(h.length).toBe(16384);
    expect(done(parseProxyHeader(h)).used).toBe(16384);
    const h2 = encodeProxyV2(A4, {
      tlvs: [{ type: PP2_TYPE_NOOP, value: Buffer.alloc(16384 - 16 - 12 - 2) }],
    });
    expect(errorCode(parseProxyHeader(h2))).toBe('HAP_ERR_PROXY_TOO_LARGE');
    expect(done(parseProxyHeader(h2, { maxV2Length: 65535 + 16 })).used).toBe(16385);
    expect(errorCode(parseProxyHeader(encodeProxyV2(A4), { maxV2Length: 20 }))).toBe(
      'HAP_ERR_PROXY_TOO_LARGE',
    );
  });

  it('fails on the first wrong byte, before the whole block is there', () => {
    expect(errorCode(parseProxyHeader(hex('0d')))).toBe('more');
    expect(errorCode(parseProxyHeader(hex('0d0a0d0a00')))).toBe('more');
    expect(errorCode(parseProxyHeader(hex('0d0a0d0a000d0a5155495458')))).toBe('HAP_ERR_PROXY_NOT_HEADER');
    expect(errorCode(parseProxyHeader(hex(`${SIG}11`)))).toBe('HAP_ERR_PROXY_NOT_HEADER');
    expect(errorCode(parseProxyHeader(hex(`${SIG}23`)))).toBe('HAP_ERR_PROXY_BAD_HEADER');
    expect(errorCode(parseProxyHeader(hex(`${SIG}21`)))).toBe('more');
    expect(errorCode(parseProxyHeader(hex(`${SIG}2177000c`)))).toBe('HAP_ERR_PROXY_BAD_HEADER');
    expect(errorCode(parseProxyHeader(hex(`${SIG}2121000c`)))).toBe('HAP_ERR_PROXY_BAD_HEADER');
    expect(errorCode(parseProxyHeader(hex(`${SIG}2111000c 0102`)))).toBe('more');
  });
});

describe('ProxyHeaderReader', () => {
  const VALID: [string, Buffer][] = [
    ['v1 TCP4', encodeProxyV1(A4)],
    ['v1 TCP6', encodeProxyV1(A6)],
    ['v1 mixed', encodeProxyV1(MIXED)],
    ['v1 UNKNOWN', encodeProxyV1(null)],
    ['v1 long UNKNOWN', latin1(`PROXY UNKNOWN ${'x'.repeat(91)}\r\n`)],
    ['v2 TCP4', encodeProxyV2(A4)],
    [
      'v2 TCP6 + TLVs + CRC',
      encodeProxyV2(A6, { crc32c: true, tlvs: [{ type: PP2_TYPE_ALPN, value: 'h2' }] }),
    ],
    ['v2 LOCAL', encodeProxyV2(null)],
  ];
  const PAYLOAD = latin1('GET / HTTP/1.1\r\nHost: x\r\n\r\n');

  it.each(VALID)('%s: same header and payload however the bytes are split', (_name, header) => {
    const whole = Buffer.concat([header, PAYLOAD]);
    const ref = done(parseProxyHeader(whole)).header;
    expect(ref.length).toBe(header.length);
    for (let cut = 1; cut < whole.length; cut++) {
      const { last, payload } = feed([whole.subarray(0, cut), whole.subarray(cut)]);
      expect(done(last).header, `cut at ${cut}`).toEqual(ref);
      expect(payload.equals(PAYLOAD), `cut at ${cut}`).toBe(true);
    }
    for (let cut1 = 1; cut1 < header.length + 2; cut1 += 3) {
      for (let cut2 = cut1 + 1; cut2 < whole.length; cut2 += 5) {
        const { last, payload } = feed([
          whole.subarray(0, cut1),
          whole.subarray(cut1, cut2),
          whole.subarray(cut2),
        ]);
        expect(done(last).header).toEqual(ref);
        expect(payload.equals(PAYLOAD)).toBe(true);
      }
    }
    const bytes = [...whole].map((b) => Buffer.from([b]));
    const one = feed(bytes);
    expect(done(one.last).header).toEqual(ref);
    expect(one.payload.equals(PAYLOAD)).toBe(true);
  });

  it('never gives a header from malformed bytes, however they are split', () => {
    const bad = [...BAD_V1_INPUTS(), ...BAD_V2_INPUTS()];
    for (const input of bad) {
      const code = errorCode(parseProxyHeader(input));
      expect(code).toMatch(/^HAP_ERR_/);
      for (let cut = 1; cut < input.length; cut++) {
        const { last } = feed([input.subarray(0, cut), input.subarray(cut)]);
        expect(errorCode(last), `${JSON.stringify(input.toString('latin1'))} cut at ${cut}`).toBe(code);
      }
    }
  });

  it('reports truncation when the peer closes early, EMPTY when nothing came', () => {
    const r = new ProxyHeaderReader();
    expect(r.end().code).toBe('HAP_ERR_PROXY_EMPTY');
    for (const [, header] of VALID) {
      for (let cut = 1; cut < header.length; cut++) {
        const reader = new ProxyHeaderReader();
        expect(reader.push(header.subarray(0, cut)).status).toBe('more');
        const e = reader.end();
        expect(e.code).toBe('HAP_ERR_PROXY_TRUNCATED');
        expect(e.logText).toBe('Truncated PROXY protocol header received');
        expect(e.offset).toBe(cut);
      }
    }
  });

  it('singleRead: a header not whole in the first chunk is refused, as HAProxy 2.6 does', () => {
    const h = encodeProxyV1(A4);
    const { last } = feed([h.subarray(0, 5), h.subarray(5)], { singleRead: true });
    expect(errorCode(last)).toBe('HAP_ERR_PROXY_TRUNCATED');
    const ok = feed([Buffer.concat([h, PAYLOAD])], { singleRead: true });
    expect(done(ok.last).used).toBe(h.length);
    // junk is still junk
    expect(errorCode(feed([latin1('GET')], { singleRead: true }).last)).toBe('HAP_ERR_PROXY_NOT_HEADER');
  });

  it('reports `used` for the last chunk only, keeps no copy of a whole first chunk, and resets', () => {
    const h = encodeProxyV2(A4);
    const reader = new ProxyHeaderReader();
    expect(reader.push(h.subarray(0, 10)).status).toBe('more');
    expect(reader.push(Buffer.alloc(0)).status).toBe('more');
    const chunk = Buffer.concat([h.subarray(10), PAYLOAD]);
    const r = done(reader.push(chunk));
    expect(r.used).toBe(h.length - 10);
    expect(reader.done).toBe(true);
    expect(reader.bytesReceived).toBe(10 + chunk.length);
    expect(() => reader.push(PAYLOAD)).toThrow(/already/);
    reader.reset();
    const whole = Buffer.concat([h, PAYLOAD]);
    const r2 = done(reader.push(whole));
    expect(r2.used).toBe(h.length);
    expect(r2.header.src).toBe(A4.src);
  });

  it('keeps its own copy of an incomplete chunk (the caller may reuse its buffer)', () => {
    const h = encodeProxyV1(A4);
    const reader = new ProxyHeaderReader();
    const scratch = Buffer.from(h.subarray(0, 20));
    expect(reader.push(scratch).status).toBe('more');
    scratch.fill(0x41);
    expect(done(reader.push(h.subarray(20))).header.src).toBe(A4.src);
  });
});

function BAD_V1_INPUTS(): Buffer[] {
  return [
    'PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 70000 2\r\n',
    'PROXY TCP6 1.2.3.4 ::1 1 2\r\n',
    'PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n',
    `PROXY UNKNOWN ${'x'.repeat(100)}\r\n`,
    'GET / HTTP/1.0\r\n\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX',
  ].map(latin1);
}

function BAD_V2_INPUTS(): Buffer[] {
  return [
    `${SIG}1111000c 01020304 05060708 0457 08ae`,
    `${SIG}2211000c 01020304 05060708 0457 08ae`,
    `${SIG}2111000b 01020304 05060708 0457 08`,
    `${SIG}21110012 01020304 05060708 0457 08ae 020004 65786d`,
    `${SIG}21110013 01020304 05060708 0457 08ae 030004 00000000`,
    `0d0a0d0a000d0a515549540b 2111000c`,
  ].map(hex);
}

// ---------------------------------------------------------------------------------------
// Against the real HAProxy 2.6.

// A throw-away self-signed certificate (CN pp.example.test, EC P-256, 100 years): only the
// TLS listener below uses it, to make HAProxy send an ALPN TLV.
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBizCCATGgAwIBAgIUHgrZxJjDa0B1a6exJDeeUoiB118wCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPcHAuZXhhbXBsZS50ZXN0MCAXDTI2MTEyNTE2MTYxOVoYDzIx
MjYxMTAxMTYxNjE5WjAaMRgwFgYDVQQDDA9wcC5leGFtcGxlLnRlc3QwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAAR9KSVQTK2Q3bozBK7FhVoBOc00Pe9MV/aP7i73
DcGnn9IBOeREPFZQZjr3ABiDHz5NJQi6lC2GeIpCnO4KTBuxo1MwUTAdBgNVHQ4E
FgQUkKymRXR4Rv6dDfsftWDos+SWFAMwHwYDVR0jBBgwFoAUkKymRXR4Rv6dDfsf
tWDos+SWFAMwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiA4q3tH
WpvpUC39EOiIzcK/vM/QOIvaNWBx7eSfTAuH2QIhALirrHi2H8/5cxmK1xo2jNwe
i2eoLEkVmQ3FANBuvXnR
-----END CERTIFICATE-----
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg8YwrV9Nzelnz1FKO
1Y45I98kNCZEVQWqrOsvwZ8JN7+hRANCAAR9KSVQTK2Q3bozBK7FhVoBOc00Pe9M
V/aP7i73DcGnn9IBOeREPFZQZjr3ABiDHz5NJQi6lC2GeIpCnO4KTBux
-----END PRIVATE KEY-----
`;

const LISTENS = [
  'v1out',
  'v2out',
  'v2opts',
  'mixsrc1',
  'mixsrc2',
  'mixdst1',
  'mixdst2',
  'tls',
  'fwd',
] as const;
type ListenName = (typeof LISTENS)[number];

interface Recorded {
  data: Buffer;
  closed: boolean;
}

describe('against HAProxy 2.6', () => {
  let haproxy: ProxyHandle | undefined;
  /** What haproxy printed (its log goes to stderr). */
  const haproxyLog = (): string => `${haproxy?.stdout() ?? ''}${haproxy?.stderr() ?? ''}`;
  let dir = '';
  let recorder: net.Server;
  const recorded: Recorded[] = [];
  const port = {} as Record<ListenName, number>;
  let marker = 0;

  async function waitFor<T>(what: string, probe: () => T | undefined, ms = 3000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline)
        throw new Error(`timed out after ${ms} ms waiting for ${what}\nhaproxy:\n${haproxyLog()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  interface Sent {
    /** What the recorder got for this connection: HAProxy's header, then the marker line. */
    received: Buffer;
    /** The marker line that was sent after the header. */
    line: Buffer;
    /** The client's own address, as HAProxy saw the connection. */
    local: ProxyAddresses;
  }

  /** Connects to a listener, sends `header` then a unique line, returns what reached the recorder. */
  async function through(listen: ListenName, header: Buffer | null, useTls = false): Promise<Sent> {
    marker += 1;
    const line = latin1(`marker-${marker}\n`);
    const socket: net.Socket = useTls
      ? tls.connect({
          host: '127.0.0.1',
          port: port[listen],
          servername: 'pp.example.test',
          ALPNProtocols: ['h2'],
          rejectUnauthorized: false,
        })
      : net.connect(port[listen], '127.0.0.1');
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once(useTls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const local: ProxyAddresses = {
      src: '127.0.0.1',
      srcPort: socket.localPort ?? 0,
      dst: '127.0.0.1',
      dstPort: port[listen],
    };
    socket.write(header === null ? line : Buffer.concat([header, line]));
    try {
      const rec = await waitFor(`marker ${marker} through ${listen}`, () =>
        recorded.find((r) => r.data.includes(line)),
      );
      return { received: rec.data, line, local };
    } finally {
      socket.destroy();
    }
  }

  /** What HAProxy emitted before the marker line. */
  function emitted(s: Sent): Buffer {
    const at = s.received.indexOf(s.line);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(s.received.length).toBe(at + s.line.length);
    return s.received.subarray(0, at);
  }

  /** The emitted header read back by the reader: it must end right where the payload starts. */
  function readBack(s: Sent): ProxyHeader {
    const r = done(new ProxyHeaderReader().push(s.received));
    expect(s.received.subarray(r.used).equals(s.line)).toBe(true);
    return r.header;
  }

  interface Outcome {
    /** 'reset' (ECONNRESET), 'fin' (end, no error), or 'open' after `ms`. */
    how: 'reset' | 'fin' | 'open';
    after: number;
    bytes: number;
  }

  /** Sends `chunks` (with pauses between them), then waits for HAProxy to close. */
  function outcome(listen: ListenName, chunks: (Buffer | number)[], ms = 3000): Promise<Outcome> {
    return new Promise((resolve) => {
      const t0 = Date.now();
      let bytes = 0;
      let settled = false;
      const socket = net.connect(port[listen], '127.0.0.1');
      const finish = (how: Outcome['how']) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        resolve({ how, after: Date.now() - t0, bytes });
      };
      const timer = setTimeout(() => finish('open'), ms);
      socket.on('data', (d) => {
        bytes += d.length;
      });
      socket.on('end', () => finish('fin'));
      socket.on('error', () => finish('reset'));
      socket.on('connect', async () => {
        for (const c of chunks) {
          if (typeof c === 'number') await new Promise((r) => setTimeout(r, c));
          else if (!socket.destroyed) socket.write(c);
        }
      });
    });
  }

  beforeAll(async () => {
    requireHaproxy();
    recorder = net.createServer((s) => {
      const rec: Recorded = { data: Buffer.alloc(0), closed: false };
      recorded.push(rec);
      s.on('data', (d: Buffer) => {
        rec.data = Buffer.concat([rec.data, d]);
      });
      s.on('error', () => {});
      s.on('close', () => {
        rec.closed = true;
      });
    });
    await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
    const rec = `127.0.0.1:${(recorder.address() as net.AddressInfo).port}`;
    for (const name of LISTENS) port[name] = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'hap-pp-'));
    const cert = join(dir, 'pp.pem');
    writeFileSync(cert, TEST_CERT);
    const cfg = `
global
  log stderr format raw local0 info
defaults
  mode tcp
  log global
  option tcplog
  timeout connect 2s
  timeout client 10s
  timeout server 10s
listen v1out
  bind 127.0.0.1:${port.v1out} accept-proxy
  server s ${rec} send-proxy
listen v2out
  bind 127.0.0.1:${port.v2out} accept-proxy
  server s ${rec} send-proxy-v2
listen v2opts
  bind 127.0.0.1:${port.v2opts} accept-proxy
  unique-id-format pp-unique-42
  server s ${rec} send-proxy-v2 proxy-v2-options crc32c,authority,unique-id
listen mixsrc1
  bind 127.0.0.1:${port.mixsrc1} accept-proxy
  tcp-request content set-src ipv6(2001:db8::7)
  server s ${rec} send-proxy
listen mixsrc2
  bind 127.0.0.1:${port.mixsrc2} accept-proxy
  tcp-request content set-src ipv6(2001:db8::7)
  server s ${rec} send-proxy-v2
listen mixdst1
  bind 127.0.0.1:${port.mixdst1} accept-proxy
  tcp-request content set-dst ipv4(10.1.2.3)
  server s ${rec} send-proxy
listen mixdst2
  bind 127.0.0.1:${port.mixdst2} accept-proxy
  tcp-request content set-dst ipv4(10.1.2.3)
  server s ${rec} send-proxy-v2
listen tls
  bind 127.0.0.1:${port.tls} ssl crt ${cert} alpn h2,http/1.1
  server s ${rec} send-proxy-v2 proxy-v2-options authority
listen fwd
  bind 127.0.0.1:${port.fwd} accept-proxy
  timeout client 1500ms
  server s ${rec}
`;
    writeFileSync(join(dir, 'haproxy.cfg'), cfg);
    haproxy = await startProxy('haproxy', join(dir, 'haproxy.cfg'), {
      readyPorts: LISTENS.map((name) => port[name]),
      readyCheck: 'connect',
    });
  });

  afterAll(async () => {
    await haproxy?.stop();
    await new Promise<void>((r) => (recorder ? recorder.close(() => r()) : r()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('send-proxy: what HAProxy writes is what the encoder writes', () => {
    const cases: [string, ListenName, () => Buffer, ProxyAddresses][] = [
      ['TCP4', 'v1out', () => encodeProxyV1(A4), A4],
      ['TCP6', 'v1out', () => encodeProxyV1(A6), A6],
      [
        'TCP6 written non-canonically',
        'v1out',
        () => latin1('PROXY TCP6 2001:DB8:0:0:0:0:0:1 0:0:0:0:0:ffff:7f00:1 5 6\r\n'),
        { src: '2001:db8::1', srcPort: 5, dst: '::ffff:127.0.0.1', dstPort: 6 },
      ],
      [
        'IPv4-mapped IPv6',
        'v1out',
        () => encodeProxyV1({ src: '::ffff:1.2.3.4', srcPort: 1, dst: '::1', dstPort: 2 }),
        { src: '::ffff:1.2.3.4', srcPort: 1, dst: '::1', dstPort: 2 },
      ],
      ['v2 TCP4 in, v1 out', 'v1out', () => encodeProxyV2(A4), A4],
      ['v2 TCP6 in, v1 out', 'v1out', () => encodeProxyV2(A6), A6],
      ['mixed (set-src ipv6)', 'mixsrc1', () => encodeProxyV1(A4), { ...A4, src: '2001:db8::7' }],
      ['mixed (set-dst ipv4)', 'mixdst1', () => encodeProxyV1(A6), { ...A6, dst: '10.1.2.3' }],
      [
        'ports 0 and 65535',
        'v1out',
        () => encodeProxyV1({ ...A4, srcPort: 0, dstPort: 65535 }),
        { ...A4, srcPort: 0, dstPort: 65535 },
      ],
    ];
    it.each(cases)('%s', async (_name, listen, header, expected) => {
      const s = await through(listen, header());
      expect(emitted(s).toString('latin1')).toBe(encodeProxyV1(expected).toString('latin1'));
      expect(readBack(s)).toMatchObject({
        version: 1,
        src: canonicalIp(expected.src),
        srcPort: expected.srcPort,
      });
    });

    it('UNKNOWN in: the connection addresses out', async () => {
      const s = await through('v1out', encodeProxyV1(null));
      expect(emitted(s).toString('latin1')).toBe(encodeProxyV1(s.local).toString('latin1'));
    });
  });

  describe('send-proxy-v2: what HAProxy writes is what the encoder writes', () => {
    const cases: [string, ListenName, () => Buffer, ProxyAddresses][] = [
      ['TCP4', 'v2out', () => encodeProxyV2(A4), A4],
      ['TCP6', 'v2out', () => encodeProxyV2(A6), A6],
      ['v1 in, v2 out', 'v2out', () => encodeProxyV1(A6), A6],
      ['mixed (set-src ipv6)', 'mixsrc2', () => encodeProxyV2(A4), { ...A4, src: '2001:db8::7' }],
      ['mixed (set-dst ipv4)', 'mixdst2', () => encodeProxyV2(A6), { ...A6, dst: '10.1.2.3' }],
      [
        'received TLVs are not passed on',
        'v2out',
        () => encodeProxyV2(A4, { tlvs: [{ type: PP2_TYPE_AUTHORITY, value: 'example.org' }] }),
        A4,
      ],
    ];
    it.each(cases)('%s', async (_name, listen, header, expected) => {
      const s = await through(listen, header());
      expect(emitted(s).toString('hex')).toBe(encodeProxyV2(expected).toString('hex'));
      expect(readBack(s)).toMatchObject({ version: 2, command: 'PROXY', srcPort: expected.srcPort });
    });

    it('LOCAL in: PROXY with the connection addresses out', async () => {
      const s = await through('v2out', encodeProxyV2(null));
      expect(emitted(s).toString('hex')).toBe(encodeProxyV2(s.local).toString('hex'));
    });

    it('proxy-v2-options crc32c,authority,unique-id: CRC32C first, then AUTHORITY, then UNIQUE_ID', async () => {
      const input = encodeProxyV2(A4, {
        tlvs: [
          { type: PP2_TYPE_NOOP, value: 'pad' },
          { type: PP2_TYPE_AUTHORITY, value: 'example.org' },
        ],
      });
      const s = await through('v2opts', input);
      const expected = encodeProxyV2(A4, {
        crc32c: true,
        tlvs: [
          { type: PP2_TYPE_AUTHORITY, value: 'example.org' },
          { type: PP2_TYPE_UNIQUE_ID, value: 'pp-unique-42' },
        ],
      });
      expect(emitted(s).toString('hex')).toBe(expected.toString('hex'));
      expect(readBack(s).tlvs.map((t) => t.type)).toEqual([
        PP2_TYPE_CRC32C,
        PP2_TYPE_AUTHORITY,
        PP2_TYPE_UNIQUE_ID,
      ]);
    });

    it('a TLS client: ALPN then AUTHORITY (the SNI)', async () => {
      const s = await through('tls', null, true);
      const expected = encodeProxyV2(s.local, {
        tlvs: [
          { type: PP2_TYPE_ALPN, value: 'h2' },
          { type: PP2_TYPE_AUTHORITY, value: 'pp.example.test' },
        ],
      });
      expect(emitted(s).toString('hex')).toBe(expected.toString('hex'));
    });
  });

  describe('accept-proxy', () => {
    it('takes off exactly the header the encoders write, TLVs included', async () => {
      for (const h of [
        encodeProxyV1(A4),
        encodeProxyV1(A6),
        encodeProxyV1(null),
        encodeProxyV2(A6, { crc32c: true, tlvs: [{ type: 0xe0, value: Buffer.alloc(300, 7) }] }),
        encodeProxyV2(null),
      ]) {
        const s = await through('fwd', h);
        expect(s.received.equals(s.line)).toBe(true);
      }
    });

    it('garbage: reset at once, nothing sent back, "does not look like a PROXY protocol header"', async () => {
      const input = latin1('GET / HTTP/1.0\r\n\r\n');
      const o = await outcome('fwd', [input]);
      expect(o.how).toBe('reset');
      expect(o.after).toBeLessThan(1000);
      expect(o.bytes).toBe(0);
      expect(errorCode(parseProxyHeader(input))).toBe('HAP_ERR_PROXY_NOT_HEADER');
      await waitFor('the log line', () =>
        haproxyLog().includes(`fwd/1: ${PROXY_ERROR_LOG_TEXT.HAP_ERR_PROXY_NOT_HEADER}`) ? true : undefined,
      );
    });

    it('silence: closed (FIN, no byte) after `timeout client`, "Timeout while waiting"', async () => {
      const o = await outcome('fwd', [], 5000);
      expect(o.how).toBe('fin');
      expect(o.bytes).toBe(0);
      expect(o.after).toBeGreaterThanOrEqual(1400);
      expect(o.after).toBeLessThan(3500);
      await waitFor('the log line', () =>
        haproxyLog().includes(`fwd/1: ${PROXY_ERROR_LOG_TEXT.HAP_ERR_PROXY_TIMEOUT}`) ? true : undefined,
      );
    });

    it('a header split over two segments is refused as truncated (singleRead mirrors it)', async () => {
      const h = encodeProxyV1(A4);
      const o = await outcome('fwd', [h.subarray(0, 4), 300, h.subarray(4)]);
      expect(o.how).toBe('reset');
      expect(o.after).toBeLessThan(300);
      await waitFor('the log line', () =>
        haproxyLog().includes(`fwd/1: ${PROXY_ERROR_LOG_TEXT.HAP_ERR_PROXY_TRUNCATED}`) ? true : undefined,
      );
      expect(errorCode(feed([h.subarray(0, 4), h.subarray(4)], { singleRead: true }).last)).toBe(
        'HAP_ERR_PROXY_TRUNCATED',
      );
      expect(feed([h.subarray(0, 4), h.subarray(4)]).last.status).toBe('done');
    });

    const BOTH_REFUSE: [string, Buffer][] = [
      ['double space', latin1('PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n')],
      ['LF alone', latin1('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n')],
      ['trailing space', latin1('PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n')],
      ['lower-case protocol', latin1('PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n')],
      ['unknown protocol', latin1('PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n')],
      ['IPv4 in TCP6', latin1('PROXY TCP6 1.2.3.4 ::1 1 2\r\n')],
      ['v2 version 1', hex(`${SIG}1111000c 01020304 05060708 0457 08ae`)],
      ['v2 command 2', hex(`${SIG}2211000c 01020304 05060708 0457 08ae`)],
      ['v2 TCP4 with 11 address bytes', hex(`${SIG}2111000b 01020304 05060708 0457 08`)],
      ['v2 TLV past the end', hex(`${SIG}21110012 01020304 05060708 0457 08ae 020004 65786d`)],
      ['v2 stray bytes', hex(`${SIG}2111000e 01020304 05060708 0457 08ae 0400`)],
      ['v2 wrong CRC32C', hex(`${SIG}21110013 01020304 05060708 0457 08ae 030004 00000000`)],
      ['v2 family 0x99', hex(`${SIG}2199000c 01020304 05060708 0457 08ae`)],
    ];
    it.each(BOTH_REFUSE)('both refuse: %s', async (_name, input) => {
      const o = await outcome('fwd', [Buffer.concat([input, latin1('x')])]);
      expect(o.how).toBe('reset');
      expect(o.bytes).toBe(0);
      expect(parseProxyHeader(input).status).toBe('error');
    });

    // Where HAProxy 2.6 is laxer than the specification (and this reader).
    it('HAProxy wraps a port above 65535; the reader refuses it', async () => {
      const s = await through('v1out', latin1('PROXY TCP4 1.2.3.4 5.6.7.8 70000 2222\r\n'));
      expect(emitted(s).toString('latin1')).toBe('PROXY TCP4 1.2.3.4 5.6.7.8 4464 2222\r\n');
      expect(errorCode(parseProxyHeader(latin1('PROXY TCP4 1.2.3.4 5.6.7.8 70000 2222\r\n')))).toBe(
        'HAP_ERR_PROXY_BAD_HEADER',
      );
    });

    it('HAProxy reads "256.2.3.4" as 0.2.3.4 and "1.2.3" as 1.2.3.0; the reader refuses both', async () => {
      const a = await through('v1out', latin1('PROXY TCP4 256.2.3.4 1.2.3 1 2\r\n'));
      expect(emitted(a).toString('latin1')).toBe('PROXY TCP4 0.2.3.4 1.2.3.0 1 2\r\n');
      expect(parseProxyHeader(latin1('PROXY TCP4 256.2.3.4 1.2.3 1 2\r\n')).status).toBe('error');
    });

    it('HAProxy refuses the long UNKNOWN form and PROXY over UNSPEC; the reader accepts them (specification)', async () => {
      const long = latin1('PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n');
      const o = await outcome('fwd', [Buffer.concat([long, latin1('x')])]);
      expect(o.how).toBe('reset');
      await waitFor('the log line', () =>
        haproxyLog().includes(`fwd/1: ${PROXY_ERROR_LOG_TEXT.HAP_ERR_PROXY_BAD_PROTO}`) ? true : undefined,
      );
      expect(done(parseProxyHeader(long)).header.family).toBe('UNKNOWN');
      const unspec = hex(`${SIG}21000000`);
      expect((await outcome('fwd', [Buffer.concat([unspec, latin1('x')])])).how).toBe('reset');
      expect(done(parseProxyHeader(unspec)).header).toMatchObject({ command: 'PROXY', family: 'UNKNOWN' });
    });
  });
});
