#!/usr/bin/env node
// Electron security scan: runs @doyensec/electronegativity on the project root (so it reads the
// Electron version from package.json), writes SARIF, and fails on any finding not listed in
// build/electronegativity-exceptions.json (check id, file, one-line reason). Electronegativity
// exits 0 even with findings and skips files it cannot parse, so both are checked here.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sarifFile = join(root, 'test-results', 'electronegativity.sarif');
const exceptionsFile = join(root, 'build', 'electronegativity-exceptions.json');
mkdirSync(dirname(sarifFile), { recursive: true });

const cli = join(root, 'node_modules', '@doyensec', 'electronegativity', 'dist', 'index.js');
const t0 = Date.now();
// AvailableSecurityFixesGlobalCheck needs the network (it fetches Electron release notes).
const r = spawnSync(
  process.execPath,
  [cli, '-i', '.', '-r', '-o', sarifFile, '-x', 'AvailableSecurityFixesGlobalCheck'],
  {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  },
);
const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
if (r.status !== 0) {
  console.error(output);
  console.error(`electron-security: electronegativity exited with ${r.status ?? r.signal}`);
  process.exit(1);
}
if (/Error parsing/i.test(output)) {
  console.error(
    output
      .split('\n')
      .filter((l) => /Error parsing/i.test(l))
      .join('\n'),
  );
  console.error(
    'electron-security: electronegativity could not parse some files (their findings would be missing)',
  );
  process.exit(1);
}

const sarif = JSON.parse(readFileSync(sarifFile, 'utf8'));
const exceptions = JSON.parse(readFileSync(exceptionsFile, 'utf8'));
for (const e of exceptions) {
  if (!e.check || !e.file || !e.reason) {
    console.error(`electron-security: exception entries need check, file and reason: ${JSON.stringify(e)}`);
    process.exit(1);
  }
}

const norm = (uri) => {
  const p = uri.replace(/^file:\/\//, '');
  return (isAbsolute(p) ? relative(root, p) : p).replace(/\\/g, '/').replace(/^\.\//, '');
};
const findings = [];
for (const run of sarif.runs ?? []) {
  for (const res of run.results ?? []) {
    const loc = res.locations?.[0]?.physicalLocation;
    findings.push({
      check: res.ruleId,
      file: norm(loc?.artifactLocation?.uri ?? 'N/A'),
      line: loc?.region?.startLine ?? 0,
      message: (res.message?.text ?? '').split('\n')[0],
    });
  }
}

const excepted = (f) => exceptions.some((e) => e.check === f.check && e.file === f.file);
const unexpected = findings.filter((f) => !excepted(f));
const used = new Set(findings.filter(excepted).map((f) => `${f.check} ${f.file}`));

// Proof that the scan read our main process at all: our preload registration must be seen.
const sawMain = findings.some((f) => f.check === 'PRELOAD_JS_CHECK' && f.file === 'electron/main/window.ts');

console.log(
  `electron-security: ${findings.length} findings, ${findings.length - unexpected.length} excepted, ${unexpected.length} not excepted (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
);
for (const e of exceptions) {
  if (!used.has(`${e.check} ${e.file}`))
    console.log(`electron-security: note: exception not needed this run: ${e.check} ${e.file}`);
}
for (const f of unexpected) console.error(`  ${f.check}  ${f.file}:${f.line}  ${f.message}`);
if (!sawMain) {
  console.error(
    'electron-security: the scan did not report electron/main/window.ts at all; it may not have parsed the main process',
  );
  process.exit(1);
}
if (unexpected.length > 0) {
  console.error(
    `electron-security: fix these or add them with a one-line reason to ${relative(root, exceptionsFile)}`,
  );
  process.exit(1);
}
console.log(`electron-security: ok (SARIF: ${relative(root, sarifFile)})`);
