import * as zlib from 'node:zlib';
import type { HeadInfo } from '@hap/http';
import { describe, expect, it } from 'vitest';
import { Compressor, chooseAlgorithm, compressedHead, compressible } from '../src/compression.ts';

function head(status: number, headers: string[], bodyKind: HeadInfo['bodyKind'] = 'length'): HeadInfo {
  return { status, headers, bodyKind, versionMajor: 1, versionMinor: 1 } as unknown as HeadInfo;
}

describe('chooseAlgorithm', () => {
  it('takes the client’s tokens in order, each matched against the algorithms in order', () => {
    expect(chooseAlgorithm(['Accept-Encoding', 'br, deflate, gzip'], ['gzip', 'deflate'])).toBe('deflate');
    expect(chooseAlgorithm(['Accept-Encoding', '*'], ['deflate', 'gzip'])).toBe('deflate');
    expect(chooseAlgorithm(['Accept-Encoding', 'gzip;q=0, deflate'], ['gzip', 'raw-deflate'])).toBe(
      'raw-deflate',
    );
    expect(chooseAlgorithm(['Accept-Encoding', 'gzip; q=0.0'], ['gzip'])).toBeUndefined();
    expect(chooseAlgorithm(['Accept-Encoding', 'x-gzip'], ['gzip'])).toBeUndefined();
    expect(chooseAlgorithm([], ['gzip'])).toBeUndefined();
    expect(chooseAlgorithm(['Accept-Encoding', 'gzip'], [])).toBeUndefined();
  });

  it('leaves out old Mozilla/4 browsers but MSIE 7 and MSIE 6 SV1', () => {
    const ae = ['Accept-Encoding', 'gzip'];
    expect(chooseAlgorithm([...ae, 'User-Agent', 'Mozilla/4.0 (compatible)'], ['gzip'])).toBeUndefined();
    expect(chooseAlgorithm([...ae, 'User-Agent', 'Mozilla/4.0 (compatible; MSIE 7.0)'], ['gzip'])).toBe(
      'gzip',
    );
    const sv1 = 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)';
    expect(chooseAlgorithm([...ae, 'User-Agent', sv1], ['gzip'])).toBe('gzip');
    expect(chooseAlgorithm([...ae, 'User-Agent', 'Mozilla/5.0'], ['gzip'])).toBe('gzip');
  });
});

describe('compressible', () => {
  it('follows HAProxy’s conditions', () => {
    const html = ['Content-Type', 'text/html; charset=utf-8', 'Content-Length', '10'];
    expect(compressible(head(200, html), [])).toBe(true);
    expect(compressible(head(203, html), ['text/html'])).toBe(true);
    expect(compressible(head(204, html), [])).toBe(false);
    expect(compressible(head(200, html), ['text/plain'])).toBe(false);
    expect(compressible(head(200, html, 'until-close'), [])).toBe(false);
    expect(compressible(head(200, [...html, 'Cache-Control', 'private, no-transform']), [])).toBe(false);
    expect(compressible(head(200, [...html, 'Content-Encoding', 'br']), [])).toBe(false);
    expect(compressible(head(200, [...html, 'ETag', 'abc']), [])).toBe(false);
    expect(compressible(head(200, [...html, 'ETag', '"a"', 'ETag', '"b"']), [])).toBe(false);
    expect(compressible(head(200, ['Content-Type', 'multipart/mixed']), [])).toBe(false);
    expect(compressible(head(200, []), ['text/html'])).toBe(false);
  });

  it('rewrites the head: no length, chunked, Vary and Content-Encoding last, weak ETag', () => {
    const info = head(200, ['Content-Length', '10', 'ETag', '"a"', 'Vary', 'Cookie']);
    compressedHead(info, 'raw-deflate');
    expect(info.headers).toEqual([
      'ETag',
      'W/"a"',
      'Vary',
      'Cookie',
      'transfer-encoding',
      'chunked',
      'vary',
      'Accept-Encoding',
      'content-encoding',
      'deflate',
    ]);
  });
});

describe('Compressor', () => {
  it('makes one valid stream of parts, each decodable as it comes', () => {
    const parts = Array.from({ length: 40 }, (_, i) => Buffer.from(`part ${i} `.repeat(i * 7)));
    const whole = Buffer.concat(parts);
    for (const [algo, inflate] of [
      ['gzip', zlib.gunzipSync],
      ['deflate', zlib.inflateSync],
      ['raw-deflate', zlib.inflateRawSync],
    ] as const) {
      const c = new Compressor(algo);
      const out: Buffer[] = [];
      for (const p of parts) {
        out.push(c.write(p));
        // what is out so far decodes to everything written so far
        const sofar = Buffer.concat(out);
        if (algo === 'raw-deflate')
          expect(zlib.inflateRawSync(sofar, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).length).toBe(
            Buffer.concat(parts.slice(0, out.length)).length,
          );
      }
      out.push(c.end());
      expect(inflate(Buffer.concat(out)).equals(whole), algo).toBe(true);
      expect(inflate(new Compressor(algo).end()).length).toBe(0);
    }
  });
});
