/** Time and size values (manual §2.5): HAProxy's units, HAProxy's limits. */

/**
 * `trailing`: HAProxy 2.6 reads a time up to its unit and only warns about what follows
 * (`15min` is 15 minutes and a warning about the 'i'); this is that warning's text.
 */
export type TimeResult = { ok: true; ms: number; trailing?: string } | { ok: false; reason: string };

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
 * Microseconds are rounded up to whole milliseconds, as HAProxy does. Characters after a
 * unit are accepted with a warning (`trailing`), as HAProxy 2.6 does.
 */
export function parseTime(text: string, defaultUnit: 'ms' | 's' = 'ms'): TimeResult {
  const m = /^(\d+)(.*)$/.exec(text);
  if (!m) {
    const bad = text.length > 0 ? text[0] : '';
    return { ok: false, reason: bad ? `unexpected character '${bad}'` : 'missing value' };
  }
  const rest = m[2] ?? '';
  // the longest unit the text starts with ('ms' before 'm')
  const unitText = ['us', 'ms', 's', 'm', 'h', 'd'].find((u) => rest.startsWith(u)) ?? '';
  if (unitText === '' && rest !== '') return { ok: false, reason: `unexpected character '${rest[0]}'` };
  const unit = unitText === '' ? TIME_UNITS[defaultUnit]! : TIME_UNITS[unitText]!;
  const value = Number(m[1]);
  const ms = Math.ceil(value * unit);
  if (ms > TIME_MAX_MS) return { ok: false, reason: 'timer overflow' };
  if (value > 0 && ms === 0) return { ok: false, reason: 'timer underflow' };
  const after = rest.slice(unitText.length);
  if (after === '') return { ok: true, ms };
  return {
    ok: true,
    ms,
    trailing: `unexpected character '${after[0]}' after the timer value '${text}', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. This will be reported as an error in next versions.`,
  };
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

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);

/**
 * C's `atol()` (glibc: blanks, a sign, decimal digits, saturating at the 64-bit limits; no
 * digits: 0) stored into a C `int`, read back as unsigned 32 bits: what HAProxy keeps for
 * `maxconnrate` and friends (`-5` becomes 4294967291).
 */
export function atolU32(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  if (!m) return 0;
  let v = BigInt(m[1]!);
  if (v > LONG_MAX) v = LONG_MAX;
  else if (v < LONG_MIN) v = LONG_MIN;
  return Number(BigInt.asUintN(32, v));
}

/** C's `atoi()` as a signed 32-bit value (glibc: strtol truncated to int). */
export function atoiI32(text: string): number {
  return atolU32(text) | 0;
}

const ULONG_MAX = (1n << 64n) - 1n;

/**
 * C's `strtoul(text, &end, 0)` stored into an `unsigned int`: `0x` hexadecimal, a leading 0
 * octal, else decimal, an optional sign (a negative value wraps), ULONG_MAX on overflow.
 * `rest` is what follows the number (all of `text` when there is none).
 */
export function strtoulU32(text: string): { value: number; rest: string } {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/.exec(text);
  if (!m) return { value: 0, rest: text };
  const digits = m[2]!;
  let v =
    digits.length > 1 && (digits[1] === 'x' || digits[1] === 'X')
      ? BigInt(digits)
      : digits[0] === '0'
        ? BigInt(`0o${digits.slice(1) || '0'}`)
        : BigInt(digits);
  if (v > ULONG_MAX) v = ULONG_MAX;
  else if (m[1] === '-') v = BigInt.asUintN(64, -v);
  return { value: Number(BigInt.asUintN(32, v)), rest: text.slice(m[0].length) };
}
