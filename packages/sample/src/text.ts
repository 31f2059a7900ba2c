// ASCII-only case changes: HAProxy's lower/upper and -i leave latin1 letters (é, É) as
// they are, where String.prototype.toLowerCase would not.

function change(s: string, from: number, to: number, delta: number): string {
  let found = false;
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= from && c <= to) found = true;
    else if (c > 127) ascii = false;
  }
  if (!found) return s;
  if (ascii) return delta > 0 ? s.toLowerCase() : s.toUpperCase();
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += String.fromCharCode(c >= from && c <= to ? c + delta : c);
  }
  return out;
}

export function lowerAscii(s: string): string {
  return change(s, 65, 90, 32);
}

export function upperAscii(s: string): string {
  return change(s, 97, 122, -32);
}
