#!/usr/bin/env node
// Builds the published package: impl/, harness/ and reports/ to JavaScript with declarations in
// dist/ (tsconfig.build.json), plus the non-TypeScript files the code loads at run time.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
  cwd: root,
});
if (compiled.status !== 0) {
  console.error('build: tsc -p tsconfig.build.json failed (errors above); dist/ is incomplete');
  process.exit(1);
}
// Spawned by path (harness/external/process.ts, harness/toxiproxy/launcher.ts), so never compiled.
const assets = ['harness/external/supervisor.mjs'];
for (const asset of assets) {
  mkdirSync(dirname(join(dist, asset)), { recursive: true });
  copyFileSync(join(root, asset), join(dist, asset));
}
console.log(`build: dist/ written (${assets.length} asset(s) copied)`);
