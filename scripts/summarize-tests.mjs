// Reads vitest's JSON report and prints the closing line CI reads: "N passed, N failed".
import { readFileSync } from 'node:fs';

// Several reports (one per vitest run) add up.
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(`no vitest report at ${file}: ${err.message}`);
    failed++;
    continue;
  }
  passed += report.numPassedTests ?? 0;
  // a file that failed to load counts as a failure even if it held no test we could count
  const brokenFiles = (report.testResults ?? []).filter(
    (f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0,
  ).length;
  failed += (report.numFailedTests ?? 0) + brokenFiles;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
