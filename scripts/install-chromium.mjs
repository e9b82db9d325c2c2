#!/usr/bin/env node
// Debian's chromium drives the report-in-browser test (playwright-core never downloads a browser
// here). Installs it with apt-get when missing and we are root; otherwise says how.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(CHROMIUM)) {
  console.log(`chromium: ${CHROMIUM} present`);
  process.exit(0);
}
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasApt) {
  console.warn(
    `chromium: not found at ${CHROMIUM}. The report-in-browser test needs it: ` +
      `run "sudo apt-get update && sudo apt-get install -y chromium" (Debian/Ubuntu), or set CHROMIUM_PATH.`,
  );
  process.exit(0);
}
console.log('chromium: installing Debian package chromium with apt-get');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
