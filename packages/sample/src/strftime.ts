// strftime(3) in the C locale, as glibc formats a broken-down time (for ltime/utime).

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

interface Tm {
  sec: number;
  min: number;
  hour: number;
  mday: number;
  mon: number;
  year: number;
  wday: number;
  yday: number;
  gmtoff: number;
  zone: string;
  epoch: number;
}

/** Days since 1970-01-01 to a proleptic Gregorian date (exact for any double-sized count). */
function civil(days: number): { y: number; m: number; d: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

const leap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const CUM = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

function brokenDown(epoch: number, utc: boolean): Tm {
  let gmtoff = 0;
  let zone = 'GMT';
  if (!utc) {
    // the zone's offset at that date (at the latest date JS knows beyond its range)
    const d = new Date(Math.max(-8.64e15, Math.min(8.64e15, epoch * 1000)));
    gmtoff = -d.getTimezoneOffset() * 60;
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
      .formatToParts(d)
      .find((p) => p.type === 'timeZoneName');
    zone = part?.value ?? '';
  }
  const t = epoch + gmtoff;
  const days = Math.floor(t / 86400);
  const secs = t - days * 86400;
  const { y, m, d } = civil(days);
  const yday = CUM[m - 1]! + (m > 2 && leap(y) ? 1 : 0) + d - 1;
  const wday = (((days + 4) % 7) + 7) % 7;
  return {
    sec: secs % 60,
    min: Math.floor(secs / 60) % 60,
    hour: Math.floor(secs / 3600),
    mday: d,
    mon: m - 1,
    year: y,
    wday,
    yday,
    gmtoff,
    zone,
    epoch,
  };
}

function isoWeek(tm: Tm): { year: number; week: number } {
  // ISO 8601: weeks start on Monday, week 1 holds the year's first Thursday
  const wdayMon = (tm.wday + 6) % 7;
  const thursdayYday = tm.yday - wdayMon + 3;
  if (thursdayYday < 0) {
    const py = tm.year - 1;
    const pyDays = leap(py) ? 366 : 365;
    return { year: py, week: Math.floor((thursdayYday + pyDays) / 7) + 1 };
  }
  const days = leap(tm.year) ? 366 : 365;
  if (thursdayYday >= days) return { year: tm.year + 1, week: 1 };
  return { year: tm.year, week: Math.floor(thursdayYday / 7) + 1 };
}

const p2 = (n: number) => String(n).padStart(2, '0');
const s2 = (n: number) => String(n).padStart(2, ' ');

function conv(c: string, tm: Tm): string | undefined {
  switch (c) {
    case 'a':
      return DAYS[tm.wday]!.slice(0, 3);
    case 'A':
      return DAYS[tm.wday]!;
    case 'b':
    case 'h':
      return MONTHS[tm.mon]!.slice(0, 3);
    case 'B':
      return MONTHS[tm.mon]!;
    case 'c':
      return `${conv('a', tm)} ${conv('b', tm)} ${s2(tm.mday)} ${conv('T', tm)} ${tm.year}`;
    case 'C':
      return p2(Math.floor(tm.year / 100));
    case 'd':
      return p2(tm.mday);
    case 'D':
    case 'x':
      return `${p2(tm.mon + 1)}/${p2(tm.mday)}/${p2(tm.year % 100)}`;
    case 'e':
      return s2(tm.mday);
    case 'F':
      return `${tm.year}-${p2(tm.mon + 1)}-${p2(tm.mday)}`;
    case 'g':
      return p2(isoWeek(tm).year % 100);
    case 'G':
      return String(isoWeek(tm).year);
    case 'H':
      return p2(tm.hour);
    case 'I':
      return p2(tm.hour % 12 || 12);
    case 'j':
      return String(tm.yday + 1).padStart(3, '0');
    case 'k':
      return s2(tm.hour);
    case 'l':
      return s2(tm.hour % 12 || 12);
    case 'm':
      return p2(tm.mon + 1);
    case 'M':
      return p2(tm.min);
    case 'n':
      return '\n';
    case 'p':
      return tm.hour < 12 ? 'AM' : 'PM';
    case 'P':
      return tm.hour < 12 ? 'am' : 'pm';
    case 'r':
      return `${conv('I', tm)}:${p2(tm.min)}:${p2(tm.sec)} ${conv('p', tm)}`;
    case 'R':
      return `${p2(tm.hour)}:${p2(tm.min)}`;
    case 's':
      return String(tm.epoch);
    case 'S':
      return p2(tm.sec);
    case 't':
      return '\t';
    case 'T':
    case 'X':
      return `${p2(tm.hour)}:${p2(tm.min)}:${p2(tm.sec)}`;
    case 'u':
      return String(tm.wday || 7);
    case 'U':
      return p2(Math.floor((tm.yday + 7 - tm.wday) / 7));
    case 'V':
      return p2(isoWeek(tm).week);
    case 'w':
      return String(tm.wday);
    case 'W':
      return p2(Math.floor((tm.yday + 7 - ((tm.wday + 6) % 7)) / 7));
    case 'y':
      return p2(tm.year % 100);
    case 'Y':
      return String(tm.year);
    case 'z': {
      const o = Math.abs(tm.gmtoff) / 60;
      return `${tm.gmtoff < 0 ? '-' : '+'}${p2(Math.floor(o / 60))}${p2(o % 60)}`;
    }
    case 'Z':
      return tm.zone;
    case '%':
      return '%';
    default:
      return undefined;
  }
}

/** strftime(format, localtime or gmtime(epoch)) in the C locale. */
export function strftime(format: string, epoch: number, utc: boolean): string {
  const tm = brokenDown(epoch, utc);
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%' || i + 1 >= format.length) {
      out += c;
      continue;
    }
    // glibc's flags (padding, case) and E/O modifiers are read and ignored
    let j = i + 1;
    while (j < format.length && '_-0^#'.includes(format[j]!)) j++;
    while (j < format.length && format[j]! >= '0' && format[j]! <= '9') j++;
    if (format[j] === 'E' || format[j] === 'O') j++;
    const r = j < format.length ? conv(format[j]!, tm) : undefined;
    if (r === undefined) {
      out += format.slice(i, j + 1);
      i = j;
      continue;
    }
    out += r;
    i = j;
  }
  return out;
}
