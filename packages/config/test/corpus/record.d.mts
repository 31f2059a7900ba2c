// Types for record.mjs, so the TypeScript test can share its case-running code.
export interface CaseHeader {
  desc: string;
  /** `same`, or `unsupported <keyword>`. */
  haproxyd: string;
  /** The keyword of an `unsupported <keyword>` case, else null. */
  unsupported: string | null;
  env: Record<string, string>;
  args: string[];
}

export interface Expected {
  valid: boolean;
  /** HAProxy's exit code (0 valid, 2 valid without listener, 1 invalid), or a signal name. */
  exit: number | string;
  firstAlertLine: number | null;
  firstAlertFile: string | null;
  /** `file:line` of every alert that names a place, in HAProxy's order. */
  alertLocations: string[];
  alerts: string[];
  warnings: number;
}

export const CORPUS_DIR: string;
export const GROUPS: string[];
export const EXPECTED_FILE: string;
export function listCases(): string[];
export function parseEnv(text: string): Record<string, string>;
export function readHeader(rel: string): CaseHeader;
export function caseArgv(rel: string, header: CaseHeader): string[];
export function caseEnv(header: CaseHeader): Record<string, string>;
export function summarize(status: number | string, stderr: string): Expected;
export function haproxyAvailable(): boolean;
export function runHaproxy(rel: string): Expected;
