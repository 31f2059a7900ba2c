// Byte classes and the well-known header names, built once at load time.

/** tchar (RFC 9110 §5.6.2): header names and methods. */
export const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/** Bytes HAProxy 2.6 accepts in a request target: visible ASCII except '#'. */
export const URICHAR = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) URICHAR[c] = 1;
URICHAR[0x23] = 0;

/** Hex digit value + 1 (0 = not a hex digit). */
export const HEXVAL = new Int8Array(256);
for (let c = 0; c < 10; c++) HEXVAL[0x30 + c] = c + 1;
for (let c = 0; c < 6; c++) {
  HEXVAL[0x41 + c] = c + 11;
  HEXVAL[0x61 + c] = c + 11;
}

export const H_OTHER = 0;
export const H_CONTENT_LENGTH = 1;
export const H_TRANSFER_ENCODING = 2;
export const H_CONNECTION = 3;
export const H_HOST = 4;
export const H_UPGRADE = 5;
export const H_EXPECT = 6;
export const H_SEC_WEBSOCKET_KEY = 7;

interface KnownName {
  readonly id: number;
  /** Lower-case bytes, what the comparison folds to. */
  readonly lower: Uint8Array;
  readonly lowerName: string;
  readonly canonical: Uint8Array;
  readonly canonicalName: string;
}

const KNOWN: [number, string][] = [
  [H_CONTENT_LENGTH, 'Content-Length'],
  [H_TRANSFER_ENCODING, 'Transfer-Encoding'],
  [H_CONNECTION, 'Connection'],
  [H_HOST, 'Host'],
  [H_UPGRADE, 'Upgrade'],
  [H_EXPECT, 'Expect'],
  [H_SEC_WEBSOCKET_KEY, 'Sec-WebSocket-Key'],
  [H_OTHER, 'Accept'],
  [H_OTHER, 'Accept-Encoding'],
  [H_OTHER, 'Accept-Language'],
  [H_OTHER, 'Authorization'],
  [H_OTHER, 'Cache-Control'],
  [H_OTHER, 'Content-Type'],
  [H_OTHER, 'Cookie'],
  [H_OTHER, 'Date'],
  [H_OTHER, 'Keep-Alive'],
  [H_OTHER, 'Origin'],
  [H_OTHER, 'Referer'],
  [H_OTHER, 'Server'],
  [H_OTHER, 'Set-Cookie'],
  [H_OTHER, 'User-Agent'],
  [H_OTHER, 'X-Forwarded-For'],
];

/** Known names bucketed by length: `BY_LENGTH[n]` lists the names of n bytes. */
export const BY_LENGTH: (KnownName[] | undefined)[] = [];
for (const [id, name] of KNOWN) {
  const lowerName = name.toLowerCase();
  const entry: KnownName = {
    id,
    lower: Buffer.from(lowerName, 'latin1'),
    lowerName,
    canonical: Buffer.from(name, 'latin1'),
    canonicalName: name,
  };
  const list = BY_LENGTH[name.length] ?? [];
  list.push(entry);
  BY_LENGTH[name.length] = list;
}

/** Common methods, returned as constants when the bytes match exactly. */
export const METHODS_BY_LENGTH: (Uint8Array[] | undefined)[] = [];
export const METHOD_NAMES: Map<Uint8Array, string> = new Map();
for (const m of ['GET', 'PUT', 'POST', 'HEAD', 'PATCH', 'TRACE', 'DELETE', 'OPTIONS', 'CONNECT']) {
  const bytes = Buffer.from(m, 'latin1');
  const list = METHODS_BY_LENGTH[m.length] ?? [];
  list.push(bytes);
  METHODS_BY_LENGTH[m.length] = list;
  METHOD_NAMES.set(bytes, m);
}
