// Syslog headers and the dates they carry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSyslogHeader,
  dateLog,
  effectiveFormat,
  gmtDateLog,
  isoSyslogDate,
  legacySyslogDate,
  localDateLog,
  type SyslogMeta,
} from '../src/index.ts';

const saved = process.env['TZ'];
beforeAll(() => {
  process.env['TZ'] = 'UTC';
});
afterAll(() => {
  if (saved === undefined) delete process.env['TZ'];
  else process.env['TZ'] = saved;
});

const NOW = Date.UTC(2009, 1, 6, 9, 5, 7, 43) + 0.123; // 43.123 ms
const META: SyslogMeta = { tag: 'haproxy', pid: '1234', hostname: undefined };

describe('headers', () => {
  it('each format', () => {
    const h = (f: Parameters<typeof buildSyslogHeader>[0], meta = META) =>
      buildSyslogHeader(f, 6, 16, meta, NOW);
    expect(h(undefined)).toBe('<134>Feb  6 09:05:07 haproxy[1234]: ');
    expect(h('local')).toBe('<134>Feb  6 09:05:07 haproxy[1234]: ');
    expect(h('rfc3164')).toBe('<134>Feb  6 09:05:07 localhost haproxy[1234]: ');
    expect(h('rfc3164', { ...META, hostname: 'lb1' })).toBe('<134>Feb  6 09:05:07 lb1 haproxy[1234]: ');
    expect(h(undefined, { ...META, hostname: 'lb1' })).toBe('<134>Feb  6 09:05:07 lb1 haproxy[1234]: ');
    expect(h('rfc5424')).toBe('<134>1 2009-02-06T09:05:07.043123+00:00 - haproxy 1234 - - ');
    expect(h('rfc5424', { ...META, hostname: 'lb1', structuredData: '[x@1 a="b"]  ' })).toBe(
      '<134>1 2009-02-06T09:05:07.043123+00:00 lb1 haproxy 1234 - [x@1 a="b"] ',
    );
    expect(h('priority')).toBe('<134>');
    expect(h('short')).toBe('<6>');
    expect(h('timed')).toBe('<6>2009-02-06T09:05:07.043123+00:00 ');
    expect(h('iso')).toBe('2009-02-06T09:05:07.043123+00:00 ');
    expect(h('raw')).toBe('');
    expect(h('local', { ...META, tag: '' })).toBe('<134>Feb  6 09:05:07 ');
    expect(h('rfc5424', { tag: '', pid: '', hostname: undefined })).toBe(
      '<134>1 2009-02-06T09:05:07.043123+00:00 - - - - - ',
    );
    expect(buildSyslogHeader('short', 3, 23, META, NOW)).toBe('<3>');
    expect(buildSyslogHeader('rfc3164', 0, 0, META, NOW)).toBe(
      '<0>Feb  6 09:05:07 localhost haproxy[1234]: ',
    );
  });

  it('a target without format: rfc3164 with a host name, local with a tag, else raw', () => {
    expect(effectiveFormat(undefined, { ...META, hostname: 'h' })).toBe('rfc3164');
    expect(effectiveFormat(undefined, META)).toBe('local');
    expect(effectiveFormat(undefined, { ...META, tag: '' })).toBe('raw');
    expect(effectiveFormat('iso', META)).toBe('iso');
  });
});

describe('dates', () => {
  it('in UTC', () => {
    expect(dateLog(NOW)).toBe('06/Feb/2009:09:05:07.043');
    expect(gmtDateLog(NOW)).toBe('06/Feb/2009:09:05:07 +0000');
    expect(localDateLog(NOW)).toBe('06/Feb/2009:09:05:07 +0000');
    expect(legacySyslogDate(NOW)).toBe('Feb  6 09:05:07');
    expect(legacySyslogDate(Date.UTC(2009, 11, 16, 23, 0, 0))).toBe('Dec 16 23:00:00');
    expect(isoSyslogDate(NOW)).toBe('2009-02-06T09:05:07.043123+00:00');
  });

  it('in a zone east of GMT, with and without daylight saving', () => {
    process.env['TZ'] = 'Europe/Paris';
    try {
      expect(dateLog(NOW)).toBe('06/Feb/2009:10:05:07.043');
      expect(gmtDateLog(NOW)).toBe('06/Feb/2009:09:05:07 +0000');
      expect(localDateLog(NOW)).toBe('06/Feb/2009:10:05:07 +0100');
      expect(localDateLog(Date.UTC(2009, 6, 1, 9, 0, 0))).toBe('01/Jul/2009:11:00:00 +0200');
      expect(isoSyslogDate(NOW)).toBe('2009-02-06T10:05:07.043123+01:00');
      expect(legacySyslogDate(NOW)).toBe('Feb  6 10:05:07');
    } finally {
      process.env['TZ'] = 'UTC';
    }
  });

  it('in a zone west of GMT', () => {
    process.env['TZ'] = 'America/New_York';
    try {
      expect(localDateLog(NOW)).toBe('06/Feb/2009:04:05:07 -0500');
      expect(isoSyslogDate(NOW)).toBe('2009-02-06T04:05:07.043123-05:00');
    } finally {
      process.env['TZ'] = 'UTC';
    }
  });
});
