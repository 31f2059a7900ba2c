/**
 * The server name of a TLS ClientHello read from the first bytes of a connection, before
 * any TLS library sees them: a bind whose crt-list lines carry their own options must know
 * which certificate (and so which versions, ciphers, ALPN and verification) applies before
 * the handshake starts, as HAProxy's ClientHello callback does.
 */

/** A name; null: the hello is complete and names no server (or it is not a TLS hello); 'more': read on. */
export type ClientHelloName = string | null | 'more';

/** The largest first record worth waiting for (a TLS record is at most 16 KiB plus its header). */
const MAX_RECORD = 16384 + 2048 + 5;

export function clientHelloServerName(b: Buffer): ClientHelloName {
  if (b.length < 5) return b.length > 0 && b[0] !== 0x16 ? null : 'more';
  if (b[0] !== 0x16 || b[1] !== 3) return null;
  const recLen = b.readUInt16BE(3);
  if (recLen > MAX_RECORD) return null;
  if (b.length < 5 + recLen) return 'more';
  const end = 5 + recLen;
  let p = 5;
  // handshake header: ClientHello (1), 3-byte length
  if (end - p < 4 || b[p] !== 1) return null;
  p += 4;
  p += 2 + 32; // version, random
  if (p + 1 > end) return null;
  p += 1 + b[p]!; // session id
  if (p + 2 > end) return null;
  p += 2 + b.readUInt16BE(p); // cipher suites
  if (p + 1 > end) return null;
  p += 1 + b[p]!; // compression methods
  if (p + 2 > end) return null;
  const extEnd = Math.min(end, p + 2 + b.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    p += 4;
    if (p + len > extEnd) return null;
    if (type === 0) {
      // server_name: list length, then (type 0 = host_name, 2-byte length, name)
      let q = p + 2;
      const listEnd = Math.min(p + len, q + b.readUInt16BE(p));
      while (q + 3 <= listEnd) {
        const nameType = b[q]!;
        const nameLen = b.readUInt16BE(q + 1);
        q += 3;
        if (q + nameLen > listEnd) return null;
        if (nameType === 0) return b.toString('latin1', q, q + nameLen);
        q += nameLen;
      }
      return null;
    }
    p += len;
  }
  return null;
}
