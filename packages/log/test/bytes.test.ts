// HAProxy's byte counts for HTTP messages (%U, %B, bin/bout). The expected figures are what
// haproxy 2.6 logged for these messages (apps/haproxyd/test/traffic-bytes.test.ts compares
// the whole path against it).
import { describe, expect, it } from 'vitest';
import { httpLogBytes, htxHeadBytes, htxTrailerBytes } from '../src/index.ts';

describe('htxHeadBytes', () => {
  it('counts the start line parts plus 21 and each header as name and value', () => {
    // "GET /no HTTP/1.1" + "Host: a"
    expect(htxHeadBytes(3 + 3 + 8, ['Host', 'a'])).toBe(40);
    expect(httpLogBytes('GET /no HTTP/1.1', ['Host', 'a'], 0, false)).toBe(40);
    // a reason phrase with a space in it: only the two separators go
    expect(httpLogBytes('HTTP/1.1 200 Fine Thanks', ['Content-Length', '2'], 2, false)).toBe(60);
    expect(httpLogBytes('HTTP/1.1 204 No Content', [], 0, false)).toBe(42);
  });

  it('takes the close and keep-alive tokens out of Connection, as HAProxy’s HTTP/1 layer', () => {
    const withConnection = (value: string) => htxHeadBytes(14, ['Host', 'a', 'Connection', value]);
    expect(withConnection('close')).toBe(40);
    expect(withConnection('Keep-Alive')).toBe(40);
    expect(withConnection('X-Bar')).toBe(55);
    expect(withConnection('A, close, B')).toBe(53); // "A,B"
    expect(withConnection('A , close , B')).toBe(54); // "A ,B"
    expect(withConnection('A, B, close')).toBe(54); // "A, B"
    expect(withConnection('upgrade , keep-alive')).toBe(58); // "upgrade "
    expect(withConnection('close, A,  B, keep-alive, C')).toBe(55); // "A,B,C"
    expect(withConnection('close,')).toBe(40);
    // other ten-letter names are counted whole
    expect(htxHeadBytes(14, ['Host', 'a', 'Keep-Alive', '300'])).toBe(53);
    expect(htxHeadBytes(14, ['Host', 'a', 'User-Agent', 'close'])).toBe(55);
  });

  it('counts the end of a chunked body and its trailers', () => {
    const post = ['Host', 'a', 'Transfer-Encoding', 'chunked'];
    expect(httpLogBytes('POST /no HTTP/1.1', post, 5, true)).toBe(71);
    expect(httpLogBytes('POST /no HTTP/1.1', post, 5, true, ['X-T', '12'])).toBe(76);
    expect(htxTrailerBytes(undefined)).toBe(0);
    expect(htxTrailerBytes(['X-T', '1'])).toBe(5);
  });
});
