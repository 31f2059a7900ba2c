/** "Did you mean" for unknown keywords: the closest known word, if close enough. */

function distance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n]!;
}

/** Best match among `candidates`, or undefined when nothing is reasonably close. */
export function bestMatch(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestScore || (d === bestScore && best !== undefined && c < best)) {
      bestScore = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  // accept up to a third of the longer word changed, at least one edit
  const limit = Math.max(1, Math.floor(Math.max(word.length, best.length) / 3));
  return bestScore <= limit ? best : undefined;
}

/**
 * A word's letter-pair fingerprint, the measure HAProxy's own "did you mean" uses: letters
 * fold to 1..26 (case ignored), digits to 27, anything else to 28, which also marks the word's
 * start and end; the print counts each transition (from, to) and flags each class present.
 */
function fingerprint(word: string): Uint8Array {
  const fp = new Uint8Array(1024);
  let from = 28;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    const lower = c >= 65 && c <= 90 ? c + 32 : c;
    const to = lower >= 97 && lower <= 122 ? lower - 96 : c >= 48 && c <= 57 ? 27 : 28;
    fp[to] = 1;
    fp[32 * from + to]!++;
    from = to;
  }
  fp[32 * from + 28]!++;
  return fp;
}

/**
 * HAProxy's suggestion for an unknown word: the first candidate, in the order given, at the
 * smallest fingerprint distance; none when that distance exceeds twice the length of either word.
 */
export function fingerprintMatch(word: string, candidates: Iterable<string>): string | undefined {
  const mine = fingerprint(word);
  let best: string | undefined;
  let bestDist = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const theirs = fingerprint(c);
    let dist = 0;
    for (let i = 0; i < 1024; i++) dist += Math.abs(mine[i]! - theirs[i]!);
    if (dist < bestDist) {
      bestDist = dist;
      best = c;
    }
  }
  if (best === undefined || bestDist > 2 * word.length || bestDist > 2 * best.length) return undefined;
  return best;
}
