/**
 * What `show ssl cert <file>` prints of a certificate, field by field in HAProxy 2.6's order
 * and format: serial and fingerprint in upper-case hex, dates as OpenSSL prints them, names as
 * `/KEY=value` runs, only the DNS entries of the subject alternative names.
 */

import type { X509Certificate } from 'node:crypto';

/** Bits of the named curves, as OpenSSL counts them. */
const CURVE_BITS: Readonly<Record<string, number>> = {
  prime192v1: 192,
  secp224r1: 224,
  prime256v1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
  brainpoolP256r1: 256,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
};

/** `RSA2048`, `EC256`, `DSA2048`; undefined for other key types (HAProxy stops there). */
function algorithm(c: X509Certificate): string | undefined {
  const k = c.publicKey;
  const d = k.asymmetricKeyDetails ?? {};
  switch (k.asymmetricKeyType) {
    case 'rsa':
      return `RSA${d.modulusLength ?? 0}`;
    case 'dsa':
      return `DSA${d.modulusLength ?? 0}`;
    case 'ec':
      return `EC${CURVE_BITS[d.namedCurve ?? ''] ?? 0}`;
    default:
      return undefined;
  }
}

/** A distinguished name as HAProxy prints it on one line: `/C=FR/O=Org/CN=name`. */
export function oneLineName(multiline: string): string {
  if (multiline === '') return '';
  let out = '';
  for (const line of multiline.split('\n')) {
    // Node escapes RFC 2253 specials with a backslash: HAProxy prints the raw value
    out += `/${line.replace(/\\(.)/g, '$1')}`;
  }
  return out;
}

/** Only the DNS names, the other kinds leave their separator (as HAProxy prints them). */
function dnsNames(c: X509Certificate): string {
  const san = c.subjectAltName;
  if (san === undefined) return '';
  return san
    .split(', ')
    .map((p) => (p.startsWith('DNS:') ? p : ''))
    .join(', ');
}

/** The lines after `Status:` for a certificate and its chain. */
export function certificateDetails(leaf: X509Certificate, chain: readonly X509Certificate[]): string {
  // whole bytes, as OpenSSL writes an INTEGER (Node gives a lone '0' for zero)
  const serial = leaf.serialNumber.toUpperCase();
  let out = `Serial: ${serial === '0' ? '00' : serial}\n`;
  out += `notBefore: ${leaf.validFrom}\n`;
  out += `notAfter: ${leaf.validTo}\n`;
  out += `Subject Alternative Name: ${dnsNames(leaf)}\n`;
  const algo = algorithm(leaf);
  out += 'Algorithm: ';
  if (algo === undefined) return out;
  out += `${algo}\n`;
  out += `SHA1 FingerPrint: ${leaf.fingerprint.replaceAll(':', '')}\n`;
  out += `Subject: ${oneLineName(leaf.subject)}\n`;
  out += `Issuer: ${oneLineName(leaf.issuer)}\n`;
  for (const c of chain) {
    out += `Chain Subject: ${oneLineName(c.subject)}\n`;
    out += `Chain Issuer: ${oneLineName(c.issuer)}\n`;
  }
  return out;
}
