/**
 * What a keyword table row is. Each subsystem file exports rows; the registry
 * puts them together. A row without `parse` names a HAProxy keyword that
 * haproxyd recognises but does not support yet.
 */

import type { DiagnosticSink } from '../diagnostics.ts';
import type { ConfigModel, Directive, GlobalModel, ProxyModel } from '../model.ts';

export type SectionClass = 'global' | 'defaults' | 'frontend' | 'listen' | 'backend';

export interface KeywordContext {
  /** Words of the line (modifiers `no`/`default` already removed); args[0] is the keyword. */
  readonly args: string[];
  readonly file: string;
  readonly line: number;
  readonly modifier: Directive['modifier'];
  readonly sink: DiagnosticSink;
  readonly model: ConfigModel;
  readonly global: GlobalModel;
  /** The proxy being parsed, for proxy keywords. */
  readonly proxy: ProxyModel | undefined;
  /** Directive record for this line; parse functions may adjust `keyword`. */
  readonly directive: Directive;
  /** The environment `${VAR}` reads; `setenv` and friends change it while parsing. */
  readonly env: Record<string, string | undefined>;
  /** `-dr`: a server host name that does not resolve is accepted (the server starts without an address). */
  readonly ignoreResolveFailures: boolean;
  /** Resolves a path written in the configuration (relative to the working directory). */
  resolvePath(path: string): string;
  alert(message: string): void;
  /** Stops reading the configuration after this line, as HAProxy does after some errors. */
  abort(): void;
  warning(message: string): void;
  notice(message: string): void;
}

export interface KeywordRow {
  /** First word (or the full name for sub-keyword tables: `option httplog` → 'httplog'). */
  name: string;
  /** Sections accepting it; for proxy keywords the matrix of the manual §4.1. */
  sections: readonly SectionClass[];
  /** True once the runtime honours the keyword; parsed-but-not-honoured keywords are reported. */
  supported: boolean;
  /** Validates and records the line. Absent: known HAProxy keyword, not supported yet. */
  parse?: (ctx: KeywordContext) => void;
}

export const PROXY_ALL: readonly SectionClass[] = ['defaults', 'frontend', 'listen', 'backend'];
export const PROXY_FE: readonly SectionClass[] = ['defaults', 'frontend', 'listen'];
export const PROXY_BE: readonly SectionClass[] = ['defaults', 'listen', 'backend'];
export const PROXY_FE_ONLY: readonly SectionClass[] = ['frontend', 'listen'];
export const PROXY_BE_ONLY: readonly SectionClass[] = ['listen', 'backend'];
export const PROXY_NO_DEFAULTS: readonly SectionClass[] = ['frontend', 'listen', 'backend'];
export const GLOBAL: readonly SectionClass[] = ['global'];
