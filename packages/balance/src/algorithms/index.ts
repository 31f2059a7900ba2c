import { first } from './first.ts';
import { hash } from './hash.ts';
import { hdr } from './hdr.ts';
import { leastconn } from './leastconn.ts';
import { random } from './random.ts';
import { rdpCookie } from './rdp-cookie.ts';
import { roundrobin } from './roundrobin.ts';
import { source } from './source.ts';
import { staticRr } from './static-rr.ts';
import type { Algorithm } from './types.ts';
import { uri } from './uri.ts';
import { urlParam } from './url-param.ts';

/** Every `balance` algorithm by name (the word before any parenthesis), in HAProxy's documentation order. */
export const ALGORITHMS: ReadonlyMap<string, Algorithm> = new Map<string, Algorithm>(
  [roundrobin, staticRr, leastconn, first, hash, source, uri, urlParam, hdr, random, rdpCookie].map((a) => [
    a.name,
    a as Algorithm,
  ]),
);

/** The table name of an algorithm as written after `balance`: `hdr(host)` → `hdr`. */
export function algorithmName(word: string): string {
  const paren = word.indexOf('(');
  return paren < 0 ? word : word.slice(0, paren);
}

/** One line per algorithm: its name, syntax and what it reads from a request. */
export interface AlgorithmInfo {
  readonly name: string;
  readonly syntax: string;
  readonly reads: string;
}

export const ALGORITHM_INFO: readonly AlgorithmInfo[] = Object.freeze(
  [...ALGORITHMS.values()].map((a) => Object.freeze({ name: a.name, syntax: a.syntax, reads: a.reads })),
);
