/**
 * Certificate files as HAProxy loads them for `crt`: one PEM file holding the certificate,
 * its chain and (usually) its private key; when the key is not in the file it is read from
 * the `<file>.key` sibling, an OCSP response from `<file>.ocsp` and, only when there is one,
 * the issuer naming the certificate in it from `<file>.issuer`. A directory given to `crt` is every file in it, in name order, except
 * those siblings and hidden files. Nothing here touches a socket.
 */

import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { ocspIssuer as ocspIssuerOf } from './ocsp.ts';

/** A certificate with its key, ready for a secure context. */
export interface LoadedCertificate {
  /** The path as written (joined to its directory for `crt <dir>`). */
  readonly path: string;
  /** The leaf certificate, then the chain, in PEM. */
  readonly certPem: string;
  readonly keyPem: string;
  readonly leaf: X509Certificate;
  /** Names the certificate answers for: its DNS subject alternative names, then its CNs (lower case). */
  readonly names: readonly string[];
  /** `<file>.ocsp` when present: an OCSP response to staple. */
  readonly ocsp: Buffer | undefined;
  /** `<file>.issuer` when present (read only with a `.ocsp` file, as HAProxy does). */
  readonly issuerPem: string | undefined;
  /**
   * With a `.ocsp` file: the issuer naming the certificate in OCSP responses (the chain's
   * certificate that issued it, else the `.issuer` file's); undefined when none was found.
   */
  readonly ocspIssuer?: X509Certificate | undefined;
  /** A `<file>.sctl` (Certificate Transparency list) is beside it. */
  readonly sctl?: boolean;
}

/** Why a file could not be loaded, in HAProxy's words (the caller adds where it was asked for). */
export class CertificateError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'CertificateError';
    this.code = code;
  }
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

interface Blocks {
  certs: string[];
  keys: string[];
  others: string[];
}

/** The certificate and private-key PEM blocks of a text, in order. */
export function pemBlocks(text: string): Blocks {
  return blocksOf(text);
}

function blocksOf(text: string): Blocks {
  const out: Blocks = { certs: [], keys: [], others: [] };
  for (const m of text.matchAll(BLOCK)) {
    const label = m[1]!;
    if (label === 'CERTIFICATE' || label === 'TRUSTED CERTIFICATE') out.certs.push(m[0]);
    else if (label.endsWith('PRIVATE KEY')) out.keys.push(m[0]);
    else out.others.push(m[0]);
  }
  return out;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/** The extensions of the files loaded beside a certificate (never certificates themselves). */
const SIBLINGS = ['.key', '.issuer', '.ocsp', '.sctl'];

/** The certificate files of a `crt <dir>`: regular files, in name order, siblings and dot-files left out. */
export function certificateFilesIn(dir: string): string[] {
  const names = readdirSync(dir).sort();
  const out: string[] = [];
  for (const n of names) {
    if (n.startsWith('.') || SIBLINGS.some((e) => n.endsWith(e))) continue;
    // joined as HAProxy joins them (`<dir>/<name>`, the directory as written)
    const p = `${dir}/${n}`;
    try {
      if (statSync(p).isFile()) out.push(p);
    } catch {
      // vanished or unreadable: the loader reports it
    }
  }
  return out;
}

/** The names a certificate answers for, as HAProxy indexes them: DNS SANs, then CNs. */
export function certificateNames(leaf: X509Certificate): string[] {
  const names: string[] = [];
  const san = leaf.subjectAltName;
  if (san !== undefined) {
    for (const part of san.split(', ')) {
      if (part.startsWith('DNS:')) names.push(part.slice(4).toLowerCase());
    }
  }
  for (const line of leaf.subject.split('\n')) {
    if (line.startsWith('CN=')) {
      const cn = line.slice(3).toLowerCase();
      if (!names.includes(cn)) names.push(cn);
    }
  }
  return names;
}

/**
 * Loads one certificate file (and its siblings) as `crt` does. `shown` is the name used in
 * messages (HAProxy repeats the name as written).
 */
export function loadCertificate(path: string, shown: string = path): LoadedCertificate {
  const text = readText(path);
  if (text === undefined) {
    throw new CertificateError('HAP_ERR_SSL_READ', `unable to load certificate from file '${shown}'.`);
  }
  const b = blocksOf(text);
  if (b.certs.length === 0) {
    throw new CertificateError('HAP_ERR_SSL_PEM', `unable to load certificate from file '${shown}'.`);
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(b.certs[0]!);
  } catch {
    throw new CertificateError('HAP_ERR_SSL_PEM', `unable to load certificate from file '${shown}'.`);
  }
  let keyPem = b.keys[0];
  if (keyPem === undefined) {
    // not in the file: the '.key' sibling
    const keyText = readText(`${path}.key`);
    keyPem = keyText !== undefined ? blocksOf(keyText).keys[0] : undefined;
    if (keyPem === undefined) {
      throw new CertificateError('HAP_ERR_SSL_NO_KEY', `No Private Key found in '${shown}.key'.`);
    }
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new CertificateError('HAP_ERR_SSL_NO_KEY', `unable to load private key from file '${shown}'.`);
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new CertificateError(
      'HAP_ERR_SSL_KEY_MISMATCH',
      `inconsistencies between private key and certificate loaded '${shown}'.`,
    );
  }
  // the chain: the other certificates of the file
  const chain: X509Certificate[] = [];
  for (let i = 1; i < b.certs.length; i++) {
    try {
      chain.push(new X509Certificate(b.certs[i]!));
    } catch {
      throw new CertificateError('HAP_ERR_SSL_PEM', `unable to load certificate chain from file '${shown}'.`);
    }
  }
  // '.sctl': a Certificate Transparency list, checked for its shape as HAProxy does
  let sctl = false;
  if (existsSync(`${path}.sctl`)) {
    let list: Buffer | undefined;
    try {
      list = readFileSync(`${path}.sctl`);
    } catch {
      list = undefined;
    }
    if (list === undefined || !sctlShapeOk(list)) {
      // HAProxy 2.6 names it with the extension twice
      throw new CertificateError(
        'HAP_ERR_SSL_SCTL',
        ` '${shown}.sctl.sctl' is present but cannot be read or parsed'.`,
      );
    }
    sctl = true;
  }
  // '.ocsp': stapling on for this certificate (an empty file too); only then is '.issuer' read
  let ocsp: Buffer | undefined;
  try {
    ocsp = readFileSync(`${path}.ocsp`);
  } catch {
    ocsp = undefined;
  }
  let issuerPem: string | undefined;
  let ocspIssuer: X509Certificate | undefined;
  if (ocsp !== undefined) {
    const issuerText = readText(`${path}.issuer`);
    let issuerFile: X509Certificate | undefined;
    if (issuerText !== undefined) {
      issuerPem = blocksOf(issuerText).certs[0];
      try {
        issuerFile = issuerPem !== undefined ? new X509Certificate(issuerPem) : undefined;
      } catch {
        issuerFile = undefined;
      }
      if (issuerFile === undefined) {
        throw new CertificateError('HAP_ERR_SSL_ISSUER', `'${shown}.issuer' cannot be read or parsed'.`);
      }
      if (!leaf.checkIssued(issuerFile)) {
        // HAProxy words it with a leading space
        throw new CertificateError('HAP_ERR_SSL_ISSUER', ` '${shown}.issuer' is not an issuer'.`);
      }
    }
    ocspIssuer = ocspIssuerOf(leaf, chain, issuerFile);
  }
  return {
    path: shown,
    certPem: b.certs.join('\n'),
    keyPem,
    leaf,
    names: certificateNames(leaf),
    ocsp,
    issuerPem,
    ocspIssuer,
    sctl,
  };
}

/** A SignedCertificateTimestampList's framing (RFC 6962): a 2-byte length, then 2-byte-length items. */
function sctlShapeOk(b: Buffer): boolean {
  if (b.length < 2 || b.readUInt16BE(0) + 2 !== b.length) return false;
  let pos = 2;
  while (pos < b.length) {
    if (b.length - pos < 2) return false;
    pos += 2 + b.readUInt16BE(pos);
    if (pos > b.length) return false;
  }
  return true;
}

/** A CA or CRL file (`ca-file`, `crl-file`): its PEM blocks, or a HAProxy-worded error. */
export function loadCaFile(path: string, shown: string, crl: boolean): string {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : 'Permission denied';
    throw new CertificateError('HAP_ERR_SSL_CA', `Couldn't open the ca-file '${shown}' (${reason}).`);
  }
  const wanted = crl ? /-----BEGIN X509 CRL-----/ : /-----BEGIN (TRUSTED )?CERTIFICATE-----/;
  if (!wanted.test(text) && !/-----BEGIN X509 CRL-----/.test(text)) {
    throw new CertificateError(
      'HAP_ERR_SSL_CA',
      `Couldn't open the ca-file '${shown}' (no certificate or crl found).`,
    );
  }
  return text;
}
