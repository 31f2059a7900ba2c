// Session resumption: tickets renewed on each resumption, and the session cache used when
// tickets are off. Real TLS servers and clients on 127.0.0.1 with a certificate made by openssl.

import { constants } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server, type TlsOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renewTicketsOnResumption, SessionCache, TicketKeyFile, ticketsOff } from '../src/index.ts';
import { issueCertificate } from './fixtures.ts';

let dir: string;
let pem: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hap-ssl-sessions-'));
  issueCertificate(dir, 'one', '/CN=one.test', 'DNS:one.test');
  pem = readFileSync(join(dir, 'one.pem'), 'latin1');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function listening(options: TlsOptions, setUp: (s: Server) => void): Promise<Server> {
  const s = createServer({ cert: pem, key: pem, ...options }, (t) => {
    t.on('error', () => {});
    t.end('ok');
  });
  setUp(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return s;
}

/** One connection offering `session`: whether it was resumed, and the last ticket/session it got. */
function once(
  port: number,
  session: Buffer | undefined,
  maxVersion: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3',
): Promise<{ reused: boolean; ticket: boolean; session: Buffer | undefined }> {
  return new Promise((resolve, reject) => {
    let reused = false;
    let ticket = false;
    let last = session;
    const c = connect({
      host: '127.0.0.1',
      port,
      rejectUnauthorized: false,
      maxVersion,
      ...(session !== undefined ? { session } : {}),
    });
    c.on('session', (s: Buffer) => {
      last = s;
      ticket = true;
    });
    c.on('secureConnect', () => {
      reused = c.isSessionReused();
    });
    c.on('error', reject);
    c.on('close', () => resolve({ reused, ticket, session: last }));
    c.resume();
  });
}

/** Connects `n` times, each offering the last ticket/session it holds: which were resumed, and which got a new session or ticket. */
async function chain(port: number, n: number, maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<string[]> {
  const out: string[] = [];
  let session: Buffer | undefined;
  for (let i = 0; i < n; i++) {
    const r = await once(port, session, maxVersion);
    out.push(`${r.reused ? 'resumed' : 'full'}${r.ticket ? '+session' : ''}`);
    session = r.session;
  }
  return out;
}

describe('renewTicketsOnResumption', () => {
  it('gives a new ticket with each resumed TLS 1.3 session, so single-use tickets always resume', async () => {
    const plain = await listening({}, () => {});
    const renewing = await listening({}, (s) => expect(renewTicketsOnResumption(s)).toBe(true));
    try {
      // Node's own keys: no ticket comes with a resumed session (a client using tickets once,
      // as OpenSSL's and browsers' do, then makes a full handshake)
      expect(await chain((plain.address() as AddressInfo).port, 3, 'TLSv1.3')).toEqual([
        'full+session',
        'resumed',
        'resumed',
      ]);
      expect(await chain((renewing.address() as AddressInfo).port, 3, 'TLSv1.3')).toEqual([
        'full+session',
        'resumed+session',
        'resumed+session',
      ]);
    } finally {
      plain.close();
      renewing.close();
    }
  });

  it('keeps its keys across setSecureContext (a certificate update): earlier tickets still resume', async () => {
    const s = await listening({}, (x) => renewTicketsOnResumption(x));
    try {
      const port = (s.address() as AddressInfo).port;
      const first = await once(port, undefined);
      s.setSecureContext({ cert: pem, key: pem });
      expect(renewTicketsOnResumption(s)).toBe(true);
      expect((await once(port, first.session)).reused).toBe(true);
    } finally {
      s.close();
    }
  });

  it('does nothing when tickets are off', async () => {
    const s = createServer({ cert: pem, key: pem, secureOptions: constants.SSL_OP_NO_TICKET });
    expect(ticketsOff(constants.SSL_OP_NO_TICKET)).toBe(true);
    expect(ticketsOff(undefined)).toBe(false);
    expect(renewTicketsOnResumption(s, constants.SSL_OP_NO_TICKET)).toBe(false);
  });
});

describe('SessionCache', () => {
  it('resumes TLS 1.2 sessions by id when tickets are off; none without it', async () => {
    const options = { secureOptions: constants.SSL_OP_NO_TICKET, maxVersion: 'TLSv1.2' as const };
    const cache = new SessionCache(100, 300);
    const cached = await listening(options, (s) => cache.serve(s));
    const bare = await listening(options, () => {});
    try {
      expect(await chain((cached.address() as AddressInfo).port, 3, 'TLSv1.2')).toEqual([
        'full+session',
        'resumed',
        'resumed',
      ]);
      expect(cache.count).toBe(1);
      expect(await chain((bare.address() as AddressInfo).port, 3, 'TLSv1.2')).toEqual([
        'full+session',
        'full+session',
        'full+session',
      ]);
    } finally {
      cached.close();
      bare.close();
    }
  });

  it('keeps at most its size, dropping the oldest, and forgets sessions after their lifetime', async () => {
    const options = { secureOptions: constants.SSL_OP_NO_TICKET, maxVersion: 'TLSv1.2' as const };
    const small = new SessionCache(2, 300);
    const s = await listening(options, (x) => small.serve(x));
    const shortLived = new SessionCache(10, 1);
    const t = await listening(options, (x) => shortLived.serve(x));
    try {
      const port = (s.address() as AddressInfo).port;
      for (let i = 0; i < 3; i++) await chain(port, 1, 'TLSv1.2');
      expect(small.count).toBe(2);
      const tPort = (t.address() as AddressInfo).port;
      const first = await once(tPort, undefined, 'TLSv1.2');
      expect((await once(tPort, first.session, 'TLSv1.2')).reused).toBe(true);
      // one second of lifetime: a little later the same session is not resumed
      await new Promise((r) => setTimeout(r, 1300));
      expect((await once(tPort, first.session, 'TLSv1.2')).reused).toBe(false);
    } finally {
      s.close();
      t.close();
    }
  });
});

describe('TicketKeyFile', () => {
  const key = (seed: number) => Buffer.alloc(48, seed).toString('base64');
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('reads keys as HAProxy does, with its complaints', () => {
    expect(TicketKeyFile.read(join(dir, 'none.txt'))).toBe(
      `'${join(dir, 'none.txt')}' : unable to load ssl tickets keys file`,
    );
    const two = file('two.txt', `${key(1)}\n${key(2)}\n`);
    expect(TicketKeyFile.read(two)).toBe(`'${two}' : please supply at least 3 keys in the tls-tickets-file`);
    const blank = file('blank.txt', `${key(1)}\n\n${key(2)}\n${key(3)}\n`);
    expect(TicketKeyFile.read(blank)).toBe(`'${blank}' : wrong sized key on line 2`);
    const crlf = TicketKeyFile.read(file('crlf.txt', `${key(1)}\r\n${key(2)}\r\n${key(3)}\r\n${key(4)}`));
    expect(crlf).toBeInstanceOf(TicketKeyFile);
    // the last three lines are kept
    expect((crlf as TicketKeyFile).keys.map((k) => k[0])).toEqual([2, 3, 4]);
  });

  it('rotation: a ticket sealed with the issuing key resumes after the file moves on, and is renewed there', async () => {
    const before = TicketKeyFile.read(file('a.txt', [1, 2, 3].map(key).join('\n'))) as TicketKeyFile;
    const after = TicketKeyFile.read(file('b.txt', [1, 2, 3, 4].map(key).join('\n'))) as TicketKeyFile;
    const a = await listening({}, (s) => expect(before.install(s)).toBe(true));
    const b = await listening({}, (s) => expect(after.install(s)).toBe(true));
    try {
      const first = await once((a.address() as AddressInfo).port, undefined);
      // on its own server: resumed with the issuing key, no new ticket (HAProxy's "still valid")
      const same = await once((a.address() as AddressInfo).port, first.session);
      // after the rotation (key 2 is now the oldest): resumed, and a new ticket under key 3
      const rotated = await once((b.address() as AddressInfo).port, first.session);
      expect([same.reused, same.ticket, rotated.reused, rotated.ticket]).toEqual([true, false, true, true]);
    } finally {
      a.close();
      b.close();
    }
  });
});
