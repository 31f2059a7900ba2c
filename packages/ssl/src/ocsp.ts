/**
 * OCSP stapling as HAProxy 2.6 does it from `<cert>.ocsp` files: a small reader of DER OCSP
 * responses (RFC 6960), the checks HAProxy makes before it staples one, and the places that
 * keep the responses while serving.
 *
 *   <cert>.ocsp ──► readOcspResponse ──► ocspProblem(…, CertID of cert + issuer, now)
 *                                              │ undefined: staple it   │ a reason: warn, staple nothing
 *                                              ▼                        ▼
 *   OcspResponses (one slot per CertID) ◄── setOcspResponse(der) (`set ssl ocsp-response`)
 *        ▲
 *   OcspStapler (one per bind line): served certificate (DER) ──► slot ──► response, until
 *                                    nextUpdate − 5 min
 *
 * What HAProxy 2.6.12 accepts (checked against it): a successful basic response holding one
 * single response whose status is good or revoked (not unknown), with a nextUpdate, valid now
 * within 5 minutes of clock skew, and whose CertID is the SHA-1 one of the certificate and its
 * issuer (a SHA-256 CertID does not match). The signature is not verified. Nothing here opens
 * a socket; the application answers the TLS status request with `OcspStapler.staple()`.
 */

import { createHash, type X509Certificate } from 'node:crypto';

// --- DER -------------------------------------------------------------------------------------

/** One DER element: its tag byte and where its content lies in the buffer. */
interface Tlv {
  readonly tag: number;
  /** Where the element (its tag) begins. */
  readonly pos: number;
  readonly start: number;
  readonly end: number;
}

class DerError extends Error {}

/** The element at `pos` (which must end by `limit`). */
function tlv(buf: Buffer, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new DerError('truncated');
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag number');
  let len = buf[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) throw new DerError('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new DerError('truncated');
  return { tag, pos, start, end };
}

/** The elements inside a constructed element. */
function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let pos = parent.start;
  while (pos < parent.end) {
    const t = tlv(buf, pos, parent.end);
    out.push(t);
    pos = t.end;
  }
  return out;
}

function expect(t: Tlv | undefined, tag: number): Tlv {
  if (t === undefined || t.tag !== tag) throw new DerError(`expected tag ${tag}`);
  return t;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const OID = 0x06;
const ENUMERATED = 0x0a;
const GENERALIZED_TIME = 0x18;

function oidText(buf: Buffer, t: Tlv): string {
  const parts: number[] = [];
  let v = 0;
  for (let i = t.start; i < t.end; i++) {
    const b = buf[i]!;
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** Hexadecimal digits as whole bytes: no leading zero bytes, an even number of digits, upper case. */
function evenHex(hex: string): string {
  const h = hex.replace(/^0+(?=.)/, '').toUpperCase();
  return h.length % 2 === 1 ? `0${h}` : h;
}

/** A GeneralizedTime (`YYYYMMDDHHMMSS[.fff]Z`) in seconds since the epoch. */
function generalizedTime(buf: Buffer, t: Tlv): number {
  const s = buf.toString('latin1', t.start, t.end);
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s);
  if (m === null) throw new DerError('bad time');
  return (
    Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000
  );
}

/**
 * An INTEGER's value in upper-case hexadecimal, byte by byte without leading zero bytes
 * (`012F…` as HAProxy prints it; Node's X509Certificate.serialNumber drops the leading
 * zero digit: `evenHex` brings it back so that both compare).
 */
function integerHex(buf: Buffer, t: Tlv): string {
  let i = t.start;
  while (i < t.end - 1 && buf[i] === 0) i++;
  return buf.toString('hex', i, t.end).toUpperCase();
}

// --- the response ----------------------------------------------------------------------------

/** Which certificate a single response is about (RFC 6960 CertID). */
export interface OcspCertId {
  /** The hash algorithm's OID, dotted (`1.3.14.3.2.26` is SHA-1). */
  readonly hashAlgorithm: string;
  /** Its name for node:crypto (`sha1`, `sha256`…), undefined when unknown. */
  readonly hashName: string | undefined;
  /** Hash of the issuer's subject name (DER). */
  readonly issuerNameHash: Buffer;
  /** Hash of the issuer's public key (the BIT STRING's bits). */
  readonly issuerKeyHash: Buffer;
  /** The certificate's serial number: upper-case hexadecimal bytes, no leading zero byte (`012F…`). */
  readonly serialNumber: string;
}

export type OcspCertStatus = 'good' | 'revoked' | 'unknown';

export interface OcspSingleResponse {
  readonly certId: OcspCertId;
  readonly certStatus: OcspCertStatus;
  /** Seconds since the epoch. */
  readonly thisUpdate: number;
  readonly nextUpdate: number | undefined;
}

export interface OcspResponse {
  /** responseStatus: 0 successful, 1 malformedRequest, 2 internalError, 3 tryLater, 5 sigRequired, 6 unauthorized. */
  readonly status: number;
  /** The single responses of a successful basic response (none otherwise). */
  readonly responses: readonly OcspSingleResponse[];
}

/** A response that cannot be read, with HAProxy's words for why. */
export class OcspError extends Error {
  readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = 'OcspError';
    this.code = 'HAP_ERR_SSL_OCSP';
  }
}

const HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.2.840.113549.2.5': 'md5',
};
const BASIC = '1.3.6.1.5.5.7.48.1.1';

/** Reads a DER OCSP response; bytes after the first element are ignored (as OpenSSL's d2i does). */
export function readOcspResponse(der: Buffer): OcspResponse {
  let status: number;
  let basic: Buffer | undefined;
  try {
    const top = expect(tlv(der, 0, der.length), SEQUENCE);
    const parts = children(der, top);
    const st = expect(parts[0], ENUMERATED);
    if (st.end - st.start !== 1) throw new DerError('bad status');
    status = der[st.start]!;
    const bytes = parts[1];
    if (bytes !== undefined) {
      const rb = children(der, expect(bytes, 0xa0));
      const seq = children(der, expect(rb[0], SEQUENCE));
      const type = oidText(der, expect(seq[0], OID));
      const body = expect(seq[1], OCTET_STRING);
      basic = type === BASIC ? der.subarray(body.start, body.end) : Buffer.alloc(0);
    }
  } catch (err) {
    if (!(err instanceof DerError)) throw err;
    throw new OcspError('Unable to parse OCSP response');
  }
  if (status !== 0) return { status, responses: [] };
  if (basic === undefined || basic.length === 0)
    throw new OcspError('Failed to get basic response from OCSP Response');
  try {
    return { status, responses: readBasic(basic) };
  } catch (err) {
    if (!(err instanceof DerError)) throw err;
    throw new OcspError('Failed to get basic response from OCSP Response');
  }
}

function readBasic(b: Buffer): OcspSingleResponse[] {
  const top = children(b, expect(tlv(b, 0, b.length), SEQUENCE));
  const data = children(b, expect(top[0], SEQUENCE));
  let i = 0;
  if (data[i]?.tag === 0xa0) i++; // version
  const responder = data[i++];
  if (responder === undefined || (responder.tag !== 0xa1 && responder.tag !== 0xa2))
    throw new DerError('responder id');
  expect(data[i++], GENERALIZED_TIME); // producedAt
  const list = children(b, expect(data[i], SEQUENCE));
  return list.map((sr) => readSingle(b, sr));
}

function readSingle(b: Buffer, sr: Tlv): OcspSingleResponse {
  const f = children(b, expect(sr, SEQUENCE));
  const certId = readCertId(b, expect(f[0], SEQUENCE));
  const st = f[1];
  let certStatus: OcspCertStatus;
  if (st?.tag === 0x80) certStatus = 'good';
  else if (st?.tag === 0xa1) certStatus = 'revoked';
  else if (st?.tag === 0x82) certStatus = 'unknown';
  else throw new DerError('cert status');
  const thisUpdate = generalizedTime(b, expect(f[2], GENERALIZED_TIME));
  let nextUpdate: number | undefined;
  if (f[3]?.tag === 0xa0) nextUpdate = generalizedTime(b, expect(children(b, f[3])[0], GENERALIZED_TIME));
  return { certId, certStatus, thisUpdate, nextUpdate };
}

function readCertId(b: Buffer, t: Tlv): OcspCertId {
  const f = children(b, t);
  const alg = children(b, expect(f[0], SEQUENCE));
  const hashAlgorithm = oidText(b, expect(alg[0], OID));
  const name = expect(f[1], OCTET_STRING);
  const key = expect(f[2], OCTET_STRING);
  return {
    hashAlgorithm,
    hashName: HASHES[hashAlgorithm],
    issuerNameHash: Buffer.from(b.subarray(name.start, name.end)),
    issuerKeyHash: Buffer.from(b.subarray(key.start, key.end)),
    serialNumber: integerHex(b, expect(f[3], INTEGER)),
  };
}

// --- which certificate -----------------------------------------------------------------------

/** The issuer's subject name (DER) and public key bits, read from its DER form. */
function issuerParts(issuer: X509Certificate): { name: Buffer; key: Buffer } {
  const raw = issuer.raw;
  const cert = children(raw, expect(tlv(raw, 0, raw.length), SEQUENCE));
  const tbs = children(raw, expect(cert[0], SEQUENCE));
  let i = tbs[0]?.tag === 0xa0 ? 1 : 0; // version
  i += 3; // serial, signature, issuer
  i += 1; // validity
  const subject = expect(tbs[i], SEQUENCE);
  const spki = children(raw, expect(tbs[i + 1], SEQUENCE));
  const bits = expect(spki[1], BIT_STRING);
  return {
    name: raw.subarray(subject.pos, subject.end),
    // the key hash covers the bits, not the leading "unused bits" byte
    key: raw.subarray(bits.start + 1, bits.end),
  };
}

/** The CertID of `leaf` issued by `issuer`, with `hash` (HAProxy builds SHA-1 ones). */
export function certIdOf(leaf: X509Certificate, issuer: X509Certificate, hash = 'sha1'): OcspCertId {
  const p = issuerParts(issuer);
  const oid = Object.keys(HASHES).find((k) => HASHES[k] === hash);
  if (oid === undefined) throw new Error(`unknown hash '${hash}'`);
  return {
    hashAlgorithm: oid,
    hashName: hash,
    issuerNameHash: createHash(hash).update(p.name).digest(),
    issuerKeyHash: createHash(hash).update(p.key).digest(),
    serialNumber: evenHex(leaf.serialNumber),
  };
}

/** True when `id` names `leaf` as issued by `issuer` (hashes computed with `id`'s algorithm). */
export function certIdMatches(id: OcspCertId, leaf: X509Certificate, issuer: X509Certificate): boolean {
  if (id.hashName === undefined) return false;
  const mine = certIdOf(leaf, issuer, id.hashName);
  return sameCertId(id, mine);
}

function sameCertId(a: OcspCertId, b: OcspCertId): boolean {
  return (
    a.hashAlgorithm === b.hashAlgorithm &&
    a.serialNumber === b.serialNumber &&
    a.issuerNameHash.equals(b.issuerNameHash) &&
    a.issuerKeyHash.equals(b.issuerKeyHash)
  );
}

function derOf(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len =
    n < 0x80
      ? [n]
      : n < 0x100
        ? [0x81, n]
        : n < 0x10000
          ? [0x82, n >> 8, n & 0xff]
          : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), content]);
}

function oidDer(oid: string): Buffer {
  const parts = oid.split('.').map(Number);
  const bytes: number[] = [parts[0]! * 40 + parts[1]!];
  for (const v of parts.slice(2)) {
    const group: number[] = [v & 0x7f];
    for (let r = Math.floor(v / 128); r > 0; r = Math.floor(r / 128)) group.unshift((r & 0x7f) | 0x80);
    bytes.push(...group);
  }
  return derOf(OID, Buffer.from(bytes));
}

/**
 * The DER form of a CertID, as OpenSSL encodes it (algorithm parameters NULL): HAProxy's
 * `show ssl ocsp-response` prints it in hexadecimal as the "Certificate ID key".
 */
export function certIdDer(id: OcspCertId): Buffer {
  let serial = Buffer.from(id.serialNumber.length % 2 ? `0${id.serialNumber}` : id.serialNumber, 'hex');
  if (serial.length === 0 || serial[0]! & 0x80) serial = Buffer.concat([Buffer.from([0]), serial]);
  return derOf(
    SEQUENCE,
    Buffer.concat([
      derOf(SEQUENCE, Buffer.concat([oidDer(id.hashAlgorithm), Buffer.from([0x05, 0x00])])),
      derOf(OCTET_STRING, id.issuerNameHash),
      derOf(OCTET_STRING, id.issuerKeyHash),
      derOf(INTEGER, serial),
    ]),
  );
}

function certIdKey(id: OcspCertId): string {
  return `${id.hashAlgorithm}/${id.issuerNameHash.toString('hex')}/${id.issuerKeyHash.toString('hex')}/${id.serialNumber}`;
}

/** The issuer of `leaf` for its CertID: the first certificate of the chain that issued it, else `issuerFile`. */
export function ocspIssuer(
  leaf: X509Certificate,
  chain: readonly X509Certificate[],
  issuerFile: X509Certificate | undefined,
): X509Certificate | undefined {
  for (const c of chain) if (leaf.checkIssued(c)) return c;
  return issuerFile;
}

// --- the checks ------------------------------------------------------------------------------

/** The clock skew HAProxy allows on thisUpdate/nextUpdate, and how early it stops stapling. */
export const OCSP_SKEW_SECONDS = 300;

/** A response that passed the checks: what stapling needs. */
export interface CheckedOcsp {
  readonly single: OcspSingleResponse;
  /** Stapled until then (seconds since the epoch): nextUpdate minus the skew. */
  readonly expire: number;
}

/**
 * HAProxy's checks of a response, in its order and words: the checked response, or why it
 * is refused. `expected` is the certificate's CertID (undefined: any certificate, the caller
 * looks it up). `now` in seconds since the epoch.
 */
export function checkOcspResponse(
  der: Buffer,
  expected: OcspCertId | undefined,
  now: number = Date.now() / 1000,
): CheckedOcsp | string {
  let r: OcspResponse;
  try {
    r = readOcspResponse(der);
  } catch (err) {
    if (err instanceof OcspError) return err.message;
    throw err;
  }
  if (r.status !== 0) return 'OCSP response status not successful';
  if (r.responses.length > 1)
    return `OCSP response ignored because contains multiple single responses (${r.responses.length})`;
  const single = r.responses[0];
  if (single === undefined) return 'Failed to get OCSP single response';
  if (single.certStatus === 'unknown') return 'OCSP single response: certificate status is unknown';
  if (single.nextUpdate === undefined) return 'OCSP single response: missing nextupdate';
  if (
    single.thisUpdate > now + OCSP_SKEW_SECONDS ||
    single.nextUpdate < now - OCSP_SKEW_SECONDS ||
    single.nextUpdate < single.thisUpdate
  )
    return 'OCSP single response: no longer valid.';
  if (expected !== undefined && !sameCertId(single.certId, expected))
    return 'OCSP single response: Certificate ID does not match certificate and issuer';
  return { single, expire: single.nextUpdate - OCSP_SKEW_SECONDS };
}

// --- while serving ---------------------------------------------------------------------------

/** The response of one CertID, shared by every certificate with that CertID. */
export interface OcspSlot {
  readonly certId: OcspCertId;
  /** The bytes stapled (the file as it was read); undefined: stapling on, nothing to staple. */
  response: Buffer | undefined;
  /** Seconds since the epoch after which the response is no longer stapled. */
  expire: number;
}

/**
 * The responses of a process, one slot per CertID, as HAProxy keeps them: a certificate whose
 * `.ocsp` file exists gets a slot (stapling on), a valid response fills it, and the runtime
 * API's `set ssl ocsp-response` replaces the response of the slot its CertID names.
 */
export class OcspResponses {
  private readonly slots = new Map<string, OcspSlot>();

  /** Stapling on for `leaf` issued by `issuer`: its slot (made empty, or the one already there). */
  enable(leaf: X509Certificate, issuer: X509Certificate): OcspSlot {
    const certId = certIdOf(leaf, issuer);
    const key = certIdKey(certId);
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = { certId, response: undefined, expire: 0 };
      this.slots.set(key, slot);
    }
    return slot;
  }

  /**
   * Loads a `.ocsp` file's content into `slot`: undefined when it will be stapled, else
   * HAProxy's reason (the slot keeps what it had).
   */
  load(slot: OcspSlot, der: Buffer, now: number = Date.now() / 1000): string | undefined {
    const c = checkOcspResponse(der, slot.certId, now);
    if (typeof c === 'string') return c;
    slot.response = der;
    slot.expire = c.expire;
    return undefined;
  }

  /**
   * `set ssl ocsp-response`: replaces the response of the certificate its CertID names.
   * Returns undefined when done, else HAProxy's words (the CLI adds ".\n").
   */
  setOcspResponse(der: Buffer, now: number = Date.now() / 1000): string | undefined {
    const c = checkOcspResponse(der, undefined, now);
    if (typeof c === 'string') return c;
    // HAProxy looks responses up by their CertID's DER, at most 128 bytes long
    if (certIdDer(c.single.certId).length > 128) return 'OCSP single response: Certificate ID too long';
    const slot = this.slots.get(certIdKey(c.single.certId));
    if (slot === undefined)
      return 'OCSP single response: Certificate ID does not match any certificate or issuer';
    slot.response = der;
    slot.expire = c.expire;
    return undefined;
  }

  /** Every slot, for `show ssl ocsp-response`. */
  list(): readonly OcspSlot[] {
    return [...this.slots.values()];
  }
}

/** The responses one bind line staples, found from the certificate its handshake serves. */
export class OcspStapler {
  /** By the served certificate's DER (as a latin1 string). */
  private readonly byCert = new Map<string, OcspSlot>();

  add(leaf: X509Certificate, slot: OcspSlot): void {
    this.byCert.set(leaf.raw.toString('latin1'), slot);
  }

  /** True when `leaf` has stapling on here. */
  has(leaf: X509Certificate): boolean {
    return this.byCert.has(leaf.raw.toString('latin1'));
  }

  /** The response to staple for the certificate served (DER), or null (none, or expired). */
  staple(certificate: Buffer | null | undefined, now: number = Date.now() / 1000): Buffer | null {
    if (certificate == null) return null;
    const slot = this.byCert.get(certificate.toString('latin1'));
    if (slot === undefined || slot.response === undefined || slot.expire < now) return null;
    return slot.response;
  }
}
