/**
 * A tiny authoritative DNS server over UDP on 127.0.0.1 for the resolvers tests: it answers
 * A and AAAA questions from a table the test changes (TTL 0, so no resolver caches), NOERROR
 * with no record for a known name without that type, NXDOMAIN for an unknown name. It never
 * forwards anything: no test depends on the machine's DNS.
 */

import { createSocket, type Socket } from 'node:dgram';

export interface DnsTable {
  /** name (lower case, no trailing dot) → IPv4 addresses */
  a: Map<string, string[]>;
  aaaa: Map<string, string[]>;
}

export interface TestDnsServer {
  readonly port: number;
  readonly table: DnsTable;
  /** Questions received, as "name TYPE". */
  readonly questions: string[];
  close(): Promise<void>;
}

function readName(msg: Buffer, at: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = at;
  while (i < msg.length && msg[i] !== 0) {
    const len = msg[i]!;
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('latin1'));
    i += 1 + len;
  }
  return { name: labels.join('.').toLowerCase(), end: i + 1 };
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  for (let k = 0; k < groups.length; k++) b.writeUInt16BE(Number.parseInt(groups[k]!, 16), k * 2);
  return b;
}

function answer(table: DnsTable, msg: Buffer, questions: string[]): Buffer | undefined {
  if (msg.length < 12 || msg.readUInt16BE(4) < 1) return undefined;
  const q = readName(msg, 12);
  const qtype = msg.readUInt16BE(q.end);
  const question = msg.subarray(12, q.end + 4);
  questions.push(`${q.name} ${qtype === 1 ? 'A' : qtype === 28 ? 'AAAA' : qtype}`);
  const known = table.a.has(q.name) || table.aaaa.has(q.name);
  const list = qtype === 1 ? table.a.get(q.name) : qtype === 28 ? table.aaaa.get(q.name) : undefined;
  const records = (list ?? []).map((ip) => {
    const rdata = qtype === 1 ? Buffer.from(ip.split('.').map(Number)) : ipv6Bytes(ip);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    rr.writeUInt16BE(qtype, 2);
    rr.writeUInt16BE(1, 4); // class IN
    rr.writeUInt32BE(0, 6); // TTL 0
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
  const header = Buffer.alloc(12);
  header.writeUInt16BE(msg.readUInt16BE(0), 0);
  // QR, AA, RD copied; RCODE 3 (NXDOMAIN) for an unknown name
  header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | (known ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  return Buffer.concat([header, question, ...records]);
}

/** Starts the server on 127.0.0.1 (a free UDP port). */
export async function startDnsServer(): Promise<TestDnsServer> {
  const sock: Socket = createSocket('udp4');
  const table: DnsTable = { a: new Map(), aaaa: new Map() };
  const questions: string[] = [];
  sock.on('message', (msg, rinfo) => {
    const out = answer(table, msg, questions);
    if (out !== undefined) sock.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return {
    port: sock.address().port,
    table,
    questions,
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}
