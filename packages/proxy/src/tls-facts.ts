/**
 * What the `ssl_fc*` and `ssl_c_*` fetches read of a TLS client connection, read from the
 * socket when first asked (a stream that never asks pays nothing but the object).
 */

import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { CertificateView, ConnectionTlsView } from '@hap/sample';
import { X509View } from './certificate-view.ts';

/** Whether a client socket speaks TLS (node:tls is loaded only by the TLS module: no instanceof). */
export function isTlsSocket(s: Socket): s is TLSSocket {
  return (s as Socket & { encrypted?: boolean }).encrypted === true;
}

/** OpenSSL's X509_V_ERR_* numbers by the names Node gives them (`authorizationError`). */
const VERIFY_CODES: Record<string, number> = {
  UNABLE_TO_GET_ISSUER_CERT: 2,
  UNABLE_TO_GET_CRL: 3,
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 4,
  UNABLE_TO_DECRYPT_CRL_SIGNATURE: 5,
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 6,
  CERT_SIGNATURE_FAILURE: 7,
  CRL_SIGNATURE_FAILURE: 8,
  CERT_NOT_YET_VALID: 9,
  CERT_HAS_EXPIRED: 10,
  CRL_NOT_YET_VALID: 11,
  CRL_HAS_EXPIRED: 12,
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 13,
  ERROR_IN_CERT_NOT_AFTER_FIELD: 14,
  ERROR_IN_CRL_LAST_UPDATE_FIELD: 15,
  ERROR_IN_CRL_NEXT_UPDATE_FIELD: 16,
  OUT_OF_MEM: 17,
  DEPTH_ZERO_SELF_SIGNED_CERT: 18,
  SELF_SIGNED_CERT_IN_CHAIN: 19,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 20,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 21,
  CERT_CHAIN_TOO_LONG: 22,
  CERT_REVOKED: 23,
  INVALID_CA: 24,
  PATH_LENGTH_EXCEEDED: 25,
  INVALID_PURPOSE: 26,
  CERT_UNTRUSTED: 27,
  CERT_REJECTED: 28,
};

/** The X509_V_* number of a Node verification error name (1, "unspecified", when unknown). */
export function verifyErrorCode(name: string | Error | null | undefined): number {
  if (name === undefined || name === null) return 0;
  const key = typeof name === 'string' ? name : ((name as NodeJS.ErrnoException).code ?? name.message);
  return VERIFY_CODES[key] ?? 1;
}

export class TlsFacts implements ConnectionTlsView {
  private readonly socket: TLSSocket;
  readonly sni: string | undefined;

  constructor(socket: TLSSocket) {
    this.socket = socket;
    const name = (socket as TLSSocket & { servername?: string | false }).servername;
    this.sni = typeof name === 'string' && name !== '' ? name : undefined;
  }

  get protocol(): string | undefined {
    return this.socket.getProtocol() ?? undefined;
  }

  get cipher(): string | undefined {
    return this.socket.getCipher()?.name;
  }

  get alpn(): string | undefined {
    const p = this.socket.alpnProtocol;
    return typeof p === 'string' ? p : undefined;
  }

  get resumed(): boolean {
    return this.socket.isSessionReused();
  }

  get clientCertUsed(): boolean {
    return this.socket.getPeerX509Certificate() !== undefined;
  }

  get verifyResult(): number {
    if (!this.clientCertUsed) return 0;
    return this.socket.authorized ? 0 : verifyErrorCode(this.socket.authorizationError);
  }

  get clientCertificate(): CertificateView | undefined {
    const c = this.socket.getPeerX509Certificate();
    return c !== undefined ? new X509View(c) : undefined;
  }

  get frontCertificate(): CertificateView | undefined {
    const c = this.socket.getX509Certificate();
    return c !== undefined ? new X509View(c) : undefined;
  }

  /** From the cipher's name: AES_128/AES128 → 128, AES_256/AES256 → 256, CHACHA20 → 256, 3DES → 168. */
  get cipherBits(): number | undefined {
    const name = this.socket.getCipher()?.name;
    if (name === undefined) return undefined;
    const m = /AES_?(128|256)|CHACHA20|DES-CBC3|3DES|CAMELLIA_?(128|256)|ARIA_?(128|256)/.exec(name);
    if (m === null) return undefined;
    const bits = m[1] ?? m[2] ?? m[3];
    if (bits !== undefined) return Number(bits);
    return m[0] === 'CHACHA20' ? 256 : 168;
  }
}
