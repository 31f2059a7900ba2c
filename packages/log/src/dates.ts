// The dates HAProxy prints: in log-format strings (%t, %T, %Tl, %tr…), and in syslog headers
// (rfc3164's "Mmm dd hh:mm:ss", the ISO date of rfc5424, timed and iso). Local time follows
// the process's time zone (TZ), as HAProxy's localtime() does.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}

function pad4(n: number): string {
  return n < 1000 ? n.toString().padStart(4, '0') : String(n);
}

/** "+HHMM" / "-HHMM": the local time zone's offset from GMT at that date. */
export function gmtOffset(d: Date): string {
  let diff = -d.getTimezoneOffset();
  const sign = diff < 0 ? '-' : '+';
  if (diff < 0) diff = -diff;
  diff %= 1440;
  return `${sign}${pad2(Math.floor(diff / 60))}${pad2(diff % 60)}`;
}

/** `%t`, `%tr`: "06/Feb/2009:12:12:51.443", local time with milliseconds. */
export function dateLog(ms: number): string {
  const d = new Date(Math.floor(ms));
  return (
    `${pad2(d.getDate())}/${MONTHS[d.getMonth()]}/${pad4(d.getFullYear())}:` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${pad3(d.getMilliseconds())}`
  );
}

/** `%T`, `%trg`: "06/Feb/2009:11:12:51 +0000", GMT. */
export function gmtDateLog(ms: number): string {
  const d = new Date(Math.floor(ms));
  return (
    `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${pad4(d.getUTCFullYear())}:` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`
  );
}

/** `%Tl`, `%trl`: "06/Feb/2009:12:12:51 +0100", local time and its offset. */
export function localDateLog(ms: number): string {
  const d = new Date(Math.floor(ms));
  return (
    `${pad2(d.getDate())}/${MONTHS[d.getMonth()]}/${pad4(d.getFullYear())}:` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${gmtOffset(d)}`
  );
}

/** rfc3164's timestamp, "Feb  6 12:12:51" (day padded with a space), local time. */
export function legacySyslogDate(ms: number): string {
  const d = new Date(Math.floor(ms));
  const day = d.getDate();
  return (
    `${MONTHS[d.getMonth()]} ${day < 10 ? ` ${day}` : day} ` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`
  );
}

/** The ISO date of rfc5424, timed and iso headers: "2009-02-06T12:12:51.443123+01:00". */
export function isoSyslogDate(ms: number): string {
  const totalUs = Math.round(ms * 1000);
  const us = totalUs % 1_000_000;
  const d = new Date((totalUs - us) / 1000);
  const off = gmtOffset(d);
  return (
    `${pad4(d.getFullYear())}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.` +
    `${us.toString().padStart(6, '0')}${off.slice(0, 3)}:${off.slice(3)}`
  );
}
