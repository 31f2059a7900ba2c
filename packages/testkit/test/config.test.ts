// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} placeholders are what renderConfig substitutes
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cleanupAll, parseDiagnostics, renderConfig, tempDir, writeConfig } from '../src/index.ts';
import { useTestkit } from '../src/vitest.ts';

useTestkit();

describe('renderConfig', () => {
  it('substitutes ${NAME} placeholders with strings and numbers', () => {
    const out = renderConfig('bind ${HOST}:${PORT}\nserver s ${HOST}:${BACKEND}\n', {
      HOST: '127.0.0.1',
      PORT: 8080,
      BACKEND: 9090,
    });
    expect(out).toBe('bind 127.0.0.1:8080\nserver s 127.0.0.1:9090\n');
  });

  it('throws naming every missing variable', () => {
    expect(() => renderConfig('bind ${HOST}:${PORT} ${OTHER}', { HOST: 'x' })).toThrow(
      /no value for \$\{PORT\}, \$\{OTHER\}/,
    );
  });

  it('keeps $${NAME} as a literal ${NAME} for HAProxy environment variables', () => {
    expect(renderConfig('bind "$${ADDR}":${PORT}', { PORT: 1 })).toBe('bind "${ADDR}":1');
  });
});

describe('writeConfig', () => {
  it('writes into a temp dir that cleanupAll removes', async () => {
    const path = writeConfig('global\n', 'a.cfg');
    expect(readFileSync(path, 'utf8')).toBe('global\n');
    const dir = tempDir();
    expect(path.startsWith(dir)).toBe(true);
    await cleanupAll();
    expect(existsSync(dir)).toBe(false);
    // A later write gets a fresh directory.
    const again = writeConfig('defaults\n');
    expect(again.startsWith(dir)).toBe(false);
    expect(readFileSync(again, 'utf8')).toBe('defaults\n');
  });

  it('refuses a name with a directory part', () => {
    expect(() => writeConfig('x', '../evil.cfg')).toThrow(/plain file name/);
  });
});

describe('parseDiagnostics', () => {
  it('parses HAProxy alert, warning and notice lines, with and without a location', () => {
    const text = [
      '[NOTICE]   (4677) : haproxy version is 2.6.12-1+deb12u4',
      "[ALERT]    (4677) : config : parsing [bad.cfg:10] : unknown keyword 'bogus' in 'frontend' section",
      "[ALERT]    (4681) : config : Parsing [b.cfg:8]: frontend 'f' has the same name as frontend 'f'.",
      "[WARNING]  (9718) : config : missing timeouts for frontend 'f'.",
      '   | While not properly invalid, you will certainly encounter various problems',
      'Configuration file is valid',
    ].join('\n');
    const d = parseDiagnostics(text);
    expect(d.map((x) => [x.level, x.file, x.line])).toEqual([
      ['NOTICE', null, null],
      ['ALERT', 'bad.cfg', 10],
      ['ALERT', 'b.cfg', 8],
      ['WARNING', null, null],
    ]);
    expect(d[0]?.message).toBe('haproxy version is 2.6.12-1+deb12u4');
    expect(d[1]?.message).toBe("unknown keyword 'bogus' in 'frontend' section");
    expect(d[1]?.context).toBe('config');
    expect(d[3]?.message).toBe(
      "missing timeouts for frontend 'f'.\n   | While not properly invalid, you will certainly encounter various problems",
    );
  });
});
