/** Time and size values (manual §2.5): HAProxy's units, HAProxy's limits. */

export type TimeResult = { ok: true; ms: number } | { ok: false; reason: string };

const TIME_UNITS: Record<string, number> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Largest timer HAProxy accepts: 2^31-1 ms (~24.8 days). */
export const TIME_MAX_MS = 2_147_483_647;

/**
 * Parses `<digits>[us|ms|s|m|h|d]` into milliseconds (default unit: `defaultUnit`).
 * Microseconds are rounded up to whole milliseconds, as HAProxy does.
 */
export function parseTime(text: string, defaultUnit: 'ms' | 's' = 'ms'): TimeResult {
  const m = /^(\d+)(.*)$/.exec(text);
  if (!m) {
    const bad = text.length > 0 ? text[0] : '';
    return { ok: false, reason: bad ? `unexpected character '${bad}'` : 'missing value' };
  }
  const unitText = m[2] ?? '';
  const unit = unitText === '' ? TIME_UNITS[defaultUnit] : TIME_UNITS[unitText];
  if (unit === undefined) {
    return { ok: false, reason: `unexpected character '${unitText[0]}'` };
  }
  const value = Number(m[1]);
  const ms = Math.ceil(value * unit);
  if (ms > TIME_MAX_MS) return { ok: false, reason: 'timer overflow' };
  if (value > 0 && ms === 0) return { ok: false, reason: 'timer underflow' };
  return { ok: true, ms };
}

export type SizeResult = { ok: true; bytes: number } | { ok: false; reason: string };

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  k: 1024,
  K: 1024,
  m: 1024 ** 2,
  M: 1024 ** 2,
  g: 1024 ** 3,
  G: 1024 ** 3,
};

/** Parses `<digits>[k|m|g]` (binary multiples), as HAProxy's size arguments. */
export function parseSize(text: string): SizeResult {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text);
  if (!m) {
    const bad = /^\d*(.)/.exec(text);
    return { ok: false, reason: bad?.[1] ? `unexpected character '${bad[1]}'` : 'missing value' };
  }
  const bytes = Number(m[1]) * (SIZE_UNITS[m[2] ?? ''] ?? 1);
  if (bytes > 0xffffffff) return { ok: false, reason: 'value too large' };
  return { ok: true, bytes };
}

/** Strict unsigned decimal integer, as HAProxy's atol checks on `maxconn` and friends. */
export function parseUInt(text: string): number | undefined {
  return /^\d+$/.test(text) ? Number(text) : undefined;
}
