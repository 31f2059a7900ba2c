/**
 * A certificate as HAProxy's `ssl_c_*` / `ssl_f_*` fetches see it, read from Node's
 * X509Certificate on first use (a connection whose rules ask nothing pays nothing).
 */

import type { X509Certificate } from 'node:crypto';
import type { CertificateView } from '@hap/sample';

/** OpenSSL's short names of the common signature and key algorithms, by OID. */
const ALGORITHM_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.1': 'rsaEncryption',
  '1.2.840.113549.1.1.4': 'RSA-MD5',
  '1.2.840.113549.1.1.5': 'RSA-SHA1',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.113549.1.1.11': 'RSA-SHA256',
  '1.2.840.113549.1.1.12': 'RSA-SHA384',
  '1.2.840.113549.1.1.13': 'RSA-SHA512',
  '1.2.840.113549.1.1.14': 'RSA-SHA224',
  '1.2.840.10045.2.1': 'id-ecPublicKey',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.10040.4.1': 'DSA',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
};

/** One DER element at `at`: where its content starts and ends, and where the next one starts. */
interface Der {
  tag: number;
  start: number;
  end: number;
}

function readDer(b: Buffer, at: number): Der | undefined {
  if (at + 2 > b.length) return undefined;
  const tag = b[at]!;
  let len = b[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > b.length) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  const end = start + len;
  return end <= b.length ? { tag, start, end } : undefined;
}

function oidText(b: Buffer, e: Der): string {
  const parts: number[] = [];
  let v = 0;
  for (let i = e.start; i < e.end; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if ((b[i]! & 0x80) === 0) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** The name of an AlgorithmIdentifier (a SEQUENCE whose first element is the OID). */
function algorithmName(b: Buffer, seq: Der | undefined): string | undefined {
  if (seq === undefined || seq.tag !== 0x30) return undefined;
  const oid = readDer(b, seq.start);
  if (oid === undefined || oid.tag !== 0x06) return undefined;
  const text = oidText(b, oid);
  return ALGORITHM_NAMES[text] ?? text;
}

/** A time as ASN.1 UTCTime (`YYMMDDhhmmssZ`) before 2050, GeneralizedTime after (RFC 5280). */
function asn1Time(text: string): string | undefined {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) return undefined;
  const two = (n: number) => String(n).padStart(2, '0');
  const y = d.getUTCFullYear();
  const year = y < 2050 ? two(y % 100) : String(y);
  return `${year}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
}

export class X509View implements CertificateView {
  private readonly cert: X509Certificate;
  /** tbsCertificate's first elements, read once: version, then signature algorithm. */
  private parsed: { version: number; sigAlg: string | undefined; keyAlg: string | undefined } | undefined;

  constructor(cert: X509Certificate) {
    this.cert = cert;
  }

  get subject(): string {
    return this.cert.subject;
  }

  get issuer(): string {
    return this.cert.issuer;
  }

  get der(): Buffer {
    return this.cert.raw;
  }

  get serial(): Buffer {
    const hex = this.cert.serialNumber;
    return Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, 'hex');
  }

  get sha1(): Buffer {
    return Buffer.from(this.cert.fingerprint.replace(/:/g, ''), 'hex');
  }

  get notBefore(): string | undefined {
    return asn1Time(this.cert.validFrom);
  }

  get notAfter(): string | undefined {
    return asn1Time(this.cert.validTo);
  }

  get version(): number {
    return this.read().version;
  }

  get signatureAlgorithm(): string | undefined {
    return this.read().sigAlg;
  }

  get keyAlgorithm(): string | undefined {
    return this.read().keyAlg;
  }

  /** Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version?, serial, signature, issuer, validity, subject, spki … } … } */
  private read(): { version: number; sigAlg: string | undefined; keyAlg: string | undefined } {
    if (this.parsed !== undefined) return this.parsed;
    const b = this.cert.raw;
    const out = {
      version: 1,
      sigAlg: undefined as string | undefined,
      keyAlg: undefined as string | undefined,
    };
    const top = readDer(b, 0);
    const tbs = top && readDer(b, top.start);
    if (tbs !== undefined) {
      let e = readDer(b, tbs.start);
      if (e?.tag === 0xa0) {
        const v = readDer(b, e.start);
        if (v?.tag === 0x02 && v.end - v.start === 1) out.version = b[v.start]! + 1;
        e = readDer(b, e.end);
      }
      // serial, then the signature algorithm
      const sig = e && readDer(b, e.end);
      out.sigAlg = algorithmName(b, sig);
      // issuer, validity, subject, then SubjectPublicKeyInfo ::= SEQUENCE { algorithm, key }
      let f = sig;
      for (let i = 0; i < 4 && f !== undefined; i++) f = readDer(b, f.end);
      if (f?.tag === 0x30) out.keyAlg = algorithmName(b, readDer(b, f.start));
    }
    this.parsed = out;
    return out;
  }
}
