// Small lookup helpers over the catalog data.
import { GLOBAL_KEYWORDS } from './global.ts';
import { type OptionKeyword, PROXY_KEYWORDS, PROXY_OPTIONS, type ProxyKeyword } from './proxy.ts';
import { REMOVED_KEYWORDS, type RemovedKeyword, type RemovedWhere } from './removed.ts';

const globalSet: ReadonlySet<string> = new Set(GLOBAL_KEYWORDS);
const proxyMap: ReadonlyMap<string, ProxyKeyword> = new Map(PROXY_KEYWORDS.map((k) => [k.name, k]));
const optionMap: ReadonlyMap<string, OptionKeyword> = new Map(PROXY_OPTIONS.map((k) => [k.name, k]));
const removedMap: ReadonlyMap<string, RemovedKeyword> = new Map(
  REMOVED_KEYWORDS.map((k) => [`${k.where}\u0000${k.name}`, k]),
);

export function isGlobalKeyword(name: string): boolean {
  return globalSet.has(name);
}

export function findProxyKeyword(name: string): ProxyKeyword | undefined {
  return proxyMap.get(name);
}

export function findProxyOption(name: string): OptionKeyword | undefined {
  return optionMap.get(name);
}

export function findRemovedKeyword(where: RemovedWhere, name: string): RemovedKeyword | undefined {
  return removedMap.get(`${where}\u0000${name}`);
}
