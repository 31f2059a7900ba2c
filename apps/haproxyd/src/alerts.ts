/** How the runtime phases report a configuration line they cannot serve or compile. */

import type { Diagnostic } from '@hap/config';

/** An alert at `at`'s line for `keyword`, with a stable `code` (HAP_ERR_*). */
export function alertAt(
  out: Diagnostic[],
  code: string,
  at: { file: string; line: number },
  keyword: string,
  message: string,
): void {
  out.push({ level: 'alert', code, file: at.file, line: at.line, keyword, message });
}
