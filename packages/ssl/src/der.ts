/**
 * A small DER reader for what Node's crypto does not parse: certificate revocation lists
 * (for `show ssl crl-file`) and the subject names OpenSSL sorts a CA store by. Read-only,
 * no allocation beyond the views it returns; malformed input throws `DerError`.
 */

export class DerError extends Error {}

/** One TLV: its tag byte, and the bytes of its value. */
export interface Tlv {
  readonly tag: number;
  readonly value: Buffer;
  /** The whole element, header included. */
  readonly raw: Buffer;
}

/** Reads one element at `at`; returns it and where the next one starts. */
export function readTlv(buf: Buffer, at: number): { tlv: Tlv; next: number } {
  if (at + 2 > buf.length) throw new DerError('truncated');
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > buf.length) throw new DerError('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > buf.length) throw new DerError('truncated');
  return { tlv: { tag, value: buf.subarray(p, p + len), raw: buf.subarray(at, p + len) }, next: p + len };
}

/** The elements inside a constructed value. */
export function children(value: Buffer): Tlv[] {
  const out: Tlv[] = [];
  let at = 0;
  while (at < value.length) {
    const r = readTlv(value, at);
    out.push(r.tlv);
    at = r.next;
  }
  return out;
}

function oid(value: Buffer): string {
  const parts: number[] = [];
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const b = value[i]!;
    n = n * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (parts.length === 0) {
        const first = n < 80 ? Math.floor(n / 40) : 2;
        parts.push(first, n - first * 40);
      } else parts.push(n);
      n = 0;
    }
  }
  return parts.join('.');
}

/** Short names OpenSSL prints in one-line distinguished names. */
const NAME_SN: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '2.5.4.46': 'dnQualifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

/** Long names of the signature algorithms, as OpenSSL prints them. */
const SIG_LN: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
};

/** `/O=Test/CN=name`: a Name as HAProxy prints it on one line. */
export function nameOneLine(name: Tlv): string {
  let out = '';
  for (const rdn of children(name.value)) {
    for (const atv of children(rdn.value)) {
      const [type, val] = children(atv.value);
      if (type === undefined || val === undefined) continue;
      const o = oid(type.value);
      out += `/${NAME_SN[o] ?? o}=${val.value.toString('latin1')}`;
    }
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Nov 26 03:12:58 2026 GMT`, as OpenSSL prints an ASN.1 time. */
export function timeText(t: Tlv): string {
  const s = t.value.toString('latin1');
  let year: number;
  let rest: string;
  if (t.tag === 0x17) {
    const yy = Number(s.slice(0, 2));
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    rest = s.slice(2);
  } else {
    year = Number(s.slice(0, 4));
    rest = s.slice(4);
  }
  const month = MONTHS[Number(rest.slice(0, 2)) - 1] ?? '???';
  const day = String(Number(rest.slice(2, 4))).padStart(2, ' ');
  return `${month} ${day} ${rest.slice(4, 6)}:${rest.slice(6, 8)}:${rest.slice(8, 10)} ${year} GMT`;
}

/** An INTEGER as OpenSSL's i2a_ASN1_INTEGER writes it (upper-case hex, whole bytes). */
function integerHex(v: Buffer): string {
  if (v.length === 0) return '00';
  let b = v;
  if (b.length > 1 && b[0] === 0) b = b.subarray(1);
  return b.toString('hex').toUpperCase();
}

/** The lines `show ssl crl-file <file>` prints for one revocation list. */
export function crlDetails(der: Buffer): string {
  const crl = readTlv(der, 0).tlv;
  const [tbs, sigAlg] = children(crl.value);
  if (tbs === undefined || sigAlg === undefined) throw new DerError('not a CRL');
  const f = children(tbs.value);
  let i = 0;
  let version = 0;
  if (f[i]?.tag === 0x02) {
    version = f[i]!.value[0] ?? 0;
    i++;
  }
  i++; // the signature algorithm inside tbsCertList
  const issuer = f[i++];
  const last = f[i++];
  let next: Tlv | undefined;
  if (f[i] !== undefined && (f[i]!.tag === 0x17 || f[i]!.tag === 0x18)) next = f[i++];
  const revoked = f[i]?.tag === 0x30 ? children(f[i]!.value) : [];
  const algo = children(sigAlg.value)[0];
  if (issuer === undefined || last === undefined || algo === undefined) throw new DerError('not a CRL');
  let out = `Version ${version + 1}\n`;
  const o = oid(algo.value);
  out += `Signature Algorithm: ${SIG_LN[o] ?? o}\n`;
  out += `Issuer: ${nameOneLine(issuer)}\n`;
  out += `Last Update: ${timeText(last)}\n`;
  out += `Next Update: ${next !== undefined ? timeText(next) : 'NONE'}\n`;
  out += revoked.length > 0 ? 'Revoked Certificates:\n' : 'No Revoked Certificates.\n';
  for (const r of revoked) {
    const [serial, date] = children(r.value);
    if (serial === undefined || date === undefined) continue;
    out += `    Serial Number: ${integerHex(serial.value)}\n        Revocation Date: ${timeText(date)}\n`;
  }
  return out;
}

/** The subject Name of a certificate (DER), in OpenSSL's canonical form (see `canonicalName`). */
export function canonicalSubject(certDer: Buffer): Buffer {
  const cert = readTlv(certDer, 0).tlv;
  const tbs = children(cert.value)[0];
  if (tbs === undefined) throw new DerError('not a certificate');
  const f = children(tbs.value);
  // [0] version, serial, signature, issuer, validity, subject
  const start = f[0]?.tag === 0xa0 ? 1 : 0;
  const subject = f[start + 4];
  if (subject === undefined) throw new DerError('not a certificate');
  return canonicalName(subject);
}

/** The issuer Name of a revocation list (DER), in OpenSSL's canonical form. */
export function canonicalCrlIssuer(crlDer: Buffer): Buffer {
  const crl = readTlv(crlDer, 0).tlv;
  const tbs = children(crl.value)[0];
  if (tbs === undefined) throw new DerError('not a CRL');
  const f = children(tbs.value);
  const start = f[0]?.tag === 0x02 ? 1 : 0;
  const issuer = f[start + 1];
  if (issuer === undefined) throw new DerError('not a CRL');
  return canonicalName(issuer);
}

/**
 * A Name in OpenSSL's canonical form, which orders the objects of a CA store: each value
 * lower-cased with its spaces folded, the RDN sets re-encoded, the outer sequence header
 * left out. Compared by length, then bytes (`compareCanonical`).
 */
export function canonicalName(name: Tlv): Buffer {
  const parts: Buffer[] = [];
  for (const rdn of children(name.value)) {
    const atvs: Buffer[] = [];
    for (const atv of children(rdn.value)) {
      const [type, val] = children(atv.value);
      if (type === undefined || val === undefined) continue;
      let v: Buffer;
      // printable string kinds are folded to lower-case UTF-8 with single spaces
      if ([0x0c, 0x13, 0x14, 0x16, 0x1a, 0x1c, 0x1e].includes(val.tag)) {
        const text =
          val.tag === 0x1e ? Buffer.from(val.value).swap16().toString('utf16le') : val.value.toString('utf8');
        const folded = text
          .replace(/[A-Z]/g, (c) => c.toLowerCase())
          .replace(/\s+/g, ' ')
          .trim();
        v = Buffer.concat([tlvHeader(0x0c, Buffer.byteLength(folded)), Buffer.from(folded)]);
      } else v = Buffer.from(val.raw);
      const body = Buffer.concat([type.raw, v]);
      atvs.push(Buffer.concat([tlvHeader(0x30, body.length), body]));
    }
    const set = Buffer.concat(atvs);
    parts.push(Buffer.concat([tlvHeader(0x31, set.length), set]));
  }
  return Buffer.concat(parts);
}

function tlvHeader(tag: number, len: number): Buffer {
  if (len < 0x80) return Buffer.from([tag, len]);
  const bytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}

/** OpenSSL's X509_NAME_cmp over canonical forms: shorter first, then bytes. */
export function compareCanonical(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) return a.length - b.length;
  return Buffer.compare(a, b);
}
