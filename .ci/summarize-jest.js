// Sums jest --json result files and the other CI steps into the one line CI reads: "N passed, N failed".
// Usage: node summarize-jest.js steps.txt a.json b.json … (a missing jest file counts as a failed suite).
const fs = require('node:fs');

let passed = 0;
let failed = 0;
const [stepsFile, ...jestFiles] = process.argv.slice(2);
if (stepsFile && fs.existsSync(stepsFile)) {
  for (const line of fs.readFileSync(stepsFile, 'utf8').split('\n').filter(Boolean)) {
    if (line.startsWith('pass ')) passed += 1;
    else failed += 1;
  }
}
for (const file of jestFiles) {
  if (!fs.existsSync(file)) {
    console.log(`missing jest result file ${file} (suite did not run)`);
    failed += 1;
    continue;
  }
  const result = JSON.parse(fs.readFileSync(file, 'utf8'));
  passed += result.numPassedTests;
  failed += result.numFailedTests + (result.numRuntimeErrorTestSuites ?? 0);
}
console.log(`${passed} passed, ${failed} failed`);
