/**
 * Catalog of the HAProxy 2.6 configuration vocabulary, as plain data.
 *
 * Sources: `haproxy -dKall` of the 2.6 binary (registered keywords), the v2.6.0 section parsers
 * (hard-coded keywords and removed ones) and the 2.6 configuration manual (section matrices).
 * Every list is sorted (plain code-unit order) and free of duplicates.
 *
 * Conventions:
 * - Multi-word keywords are split: a first word appears once in its section list, its second
 *   words live in a separate list or map (PROXY_OPTIONS, TIMEOUT_NAMES, STATS_SUBKEYWORDS,
 *   PROXY_SUBKEYWORDS, GLOBAL_SUBKEYWORDS, SECTION_SUBKEYWORDS, ...).
 * - A name ending in '(' is written by users followed by a parenthesised argument list
 *   ('set-var(txn.x)', 'hdr(host)'); the prefix up to and including '(' is the keyword.
 * - Keywords only present in builds with optional features (QUIC, zlib, OpenSSL engines,
 *   device detection, memory profiling) are included and flagged where a list has room for it.
 * - REMOVED_KEYWORDS lists words 2.6 still recognises only to reject (or to ignore with a
 *   warning); they are not repeated in the regular lists unless 2.6 still accepts them.
 */
export * from './acl.ts';
export * from './actions.ts';
export * from './bind.ts';
export * from './cli.ts';
export * from './extensions.ts';
export * from './global.ts';
export * from './lookup.ts';
export * from './proxy.ts';
export * from './removed.ts';
export * from './samples.ts';
export * from './sections.ts';
export * from './server.ts';
