// The vitest glue, in its own entry so that the main entry never imports vitest.
import { afterAll, afterEach } from 'vitest';
import { cleanupAll } from './registry.ts';

/** Registers cleanupAll() after each test and after the file, in the calling test file. */
export function useTestkit(): void {
  afterEach(cleanupAll);
  afterAll(cleanupAll);
}
