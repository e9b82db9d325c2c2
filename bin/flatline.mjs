#!/usr/bin/env node
// The `flatline` command. Installed from npm it runs the compiled dist/; in flatline's own repository
// (where the TypeScript sources sit next to this file) it runs them through tsx, so a change needs
// no build. A user's TypeScript subject is loaded through tsx either way (harness/subjects/module.ts).
import { existsSync } from 'node:fs';

const source = new URL('../harness/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  globalThis[Symbol.for('flatline.typescript')] = true;
  await import(source.href);
} else {
  await import('../dist/harness/cli/main.js');
}
