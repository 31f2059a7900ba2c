export type RuleErrorCode = 'HAP_RULE_ARGS' | 'HAP_RULE_ACTION' | 'HAP_RULE_FILE' | 'HAP_RULE_SAMPLE';

/** A rule that cannot be compiled; the message names what was expected (the caller adds file:line). */
export class RuleError extends Error {
  readonly code: RuleErrorCode;
  constructor(code: RuleErrorCode, message: string) {
    super(message);
    this.name = 'RuleError';
    this.code = code;
  }
}
