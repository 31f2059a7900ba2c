// @hap/runtime-api: HAProxy's runtime API (the `stats socket` CLI) without proxy logic. A
// command table the application fills, levels, one-shot and prompt modes, payloads,
// `stats timeout`, and HAProxy 2.6's texts for help, unknown commands and refusals.

export type { CliAddress } from './address.ts';
export { AddressError, formatAddress, parseAddress } from './address.ts';
export type {
  Command,
  CommandContext,
  CommandHandler,
  CommandMode,
  CommandSpec,
  Level,
} from './commands.ts';
export { LEVEL_RANK, usageLine } from './commands.ts';
export type { CliListener, ListenOptions, RuntimeApiOptions } from './server.ts';
export { RuntimeApi } from './server.ts';
export { PERMISSION_DENIED } from './session.ts';
/** HAProxy's word fingerprints, for "did you mean" guesses over other keyword lists. */
export { addFingerprint, fingerprintDistance } from './words.ts';
