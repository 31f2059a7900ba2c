// Log-format strings: parsing, errors, the two renderings.
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { type CompileOptions, compileLogFormat, type SampleEnv, type SampleError } from '../src/index.ts';
import { envOf, messageOf } from './harness.ts';

const http: CompileOptions = { file: 't', line: 1, resolvePath: (p) => p };
const log: CompileOptions = { ...http, logFormatUse: 'log' };

function env(extra: Partial<SampleEnv> = {}): SampleEnv {
  const e = envOf({
    src: '192.0.2.1',
    srcPort: 51000,
    dst: '::1',
    dstPort: 8443,
    proxy: 'www',
    req: messageOf('GET /p/a?q=1#x HTTP/1.1', [
      ['Host', ' h'],
      ['X-Ctl', ' a\x01b\x7fc"\\]'],
    ]),
  });
  e.backend = undefined;
  return Object.assign(e, extra);
}

const render = (fmt: string, o: CompileOptions = http, e: SampleEnv = env()) =>
  compileLogFormat(fmt, o).render(e);

function error(fmt: string, o: CompileOptions = http): SampleError {
  try {
    compileLogFormat(fmt, o);
  } catch (e) {
    return e as SampleError;
  }
  throw new Error(`no error for ${fmt}`);
}

describe('log-format parsing', () => {
  it('renders text, %%, and drops a % before anything else', () => {
    expect(render('100%% a%-b')).toBe('100% a-b');
    expect(compileLogFormat('plain text', http).constant).toBe('plain text');
    expect(compileLogFormat('a  b', log).constant).toBe('a b');
    expect(compileLogFormat('%[src]', http).constant).toBeUndefined();
    expect(compileLogFormat('', http).constant).toBe('');
  });

  it('reports mistakes as HAProxy words them', () => {
    expect(error('a%').message).toBe("truncated line after '%'");
    expect(error('%{+Q}').message).toBe("parse argument modifier without variable name near '%{+Q}'");
    expect(error('%1').message).toBe(
      "unexpected variable name near '1' at position 1 line : '%1'. Maybe you want to write a single '%', use the syntax '%%'",
    );
    expect(error('%[path').message).toBe("missing ']' after 'path'");
    expect(error('%[path x]').message).toBe("expected ']' after 'path', but found ' '");
    expect(error('%[foo]').message).toBe(
      "failed to parse sample expression <foo]> : unknown fetch method 'foo'",
    );
    expect(error('%Z').message).toBe(
      "no such format variable 'Z'. If you wanted to emit the '%' character verbatim, you need to use '%%'",
    );
    const unsupported = error('%Tt');
    expect(unsupported.code).toBe('HAP_ERR_SAMPLE_UNSUPPORTED');
    expect(unsupported.message).toBe("'%Tt' is not supported yet in haproxyd's log-format");
    expect(error('%[path,map(/nonexistent.map)]').message).toBe(
      "failed to parse sample expression <path,map(/nonexistent.map)]> : invalid args in converter 'map' : failed to open pattern file </nonexistent.map>",
    );
  });
});

describe('aliases', () => {
  it('prints connection, proxy and request facts', () => {
    expect(render('%ci:%cp %fi:%fp')).toBe('192.0.2.1:51000 ::1:8443');
    expect(render('%f %b %s %ft')).toBe('www www <NOSRV> www');
    expect(render('%b %s %ft', http, env({ backend: 'app', server: 'web1', ssl: { sni: undefined } }))).toBe(
      'app web1 www~',
    );
    expect(render('%H')).toBe(hostname());
    expect(render('%pid')).toBe(String(process.pid));
    expect(render('%ST')).toBe('-1');
    expect(render('%ST', http, env({ status: 503 }))).toBe('503');
    expect(render('%ID|%ID', log)).toBe('-|-');
    expect(render('%ID', http, env({ uniqueId: 'abc' }))).toBe('abc');
    expect(render('%{+X}ci %{+X}cp %{+X}fi')).toBe('C0000201 C738 00000000000000000000000000000001');
    expect(render('%r')).toBe('GET /p/a?q=1#23x HTTP/1.1');
  });

  it('cuts the request line as HAProxy does, #-encoding what logs cannot carry', () => {
    const e = env({ req: messageOf('GET /p?q=1#x HTTP/1.0', []) });
    expect(render('%HM|%HU|%HP|%HPO|%HQ|%HV', http, e)).toBe('GET|/p?q=1#23x|/p|/p|?q=1#23x|HTTP/1.0');
    expect(render('%{+Q}HU %{+Q}HQ', http, env({ req: messageOf('GET /p HTTP/1.1', []) }))).toBe('"/p" ""');
    const abs = env({ req: messageOf('GET http://h/x/y?z HTTP/1.1', []) });
    expect(render('%HP|%HPO|%HQ', http, abs)).toBe('http://h/x/y|/x/y|?z');
    expect(render('%HM %r', http, env({ req: undefined }))).toBe('<BADREQ> <BADREQ>');
  });
});

describe('samples in the two renderings', () => {
  it('http: control characters %-encoded, E escapes, Q ignored, nothing when missing', () => {
    expect(render('[%[hdr(x-ctl)]]')).toBe('[a%01b%7Fc"\\]]');
    expect(render('%{+E}[hdr(x-ctl)]')).toBe('a%01b%7Fc\\"\\\\\\]');
    expect(render('%{+Q}[hdr(host)]|%[hdr(none)]|%{+Q}[hdr(none)]|%[str()]')).toBe('h|||');
    expect(render('a  b')).toBe('a  b');
    expect(render('%[bin(410042)]')).toBe('A');
  });

  it("log: '-' for nothing, quotes, escapes, merged spaces", () => {
    expect(render('%[hdr(none)]|%[str()]|%{+Q}[hdr(none)]|%{+Q}[str()]|%{+Q}[hdr(host)]', log)).toBe(
      '-|-|""|""|"h"',
    );
    expect(render('%{+E}[str(a\\"b)]', log)).toBe('a\\"b');
    expect(render('  a   b  ', log)).toBe('a b ');
    expect(render('%{+Q}o %f %[hdr(host)] %{-Q}o %f', log)).toBe('"www" "h" www');
    expect(render('%[hdr(x-ctl)]', log)).toBe('a\x01b\x7fc"\\]');
  });
});
