/**
 * Headless Chromium for looking at reports (the browser test and the README screenshot). Uses the
 * system's chromium through playwright-core, which never downloads a browser. Every network request
 * is blocked and recorded, so a caller can prove a report needs nothing but its own file.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ReportError } from './errors.ts';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const HOW_TO_GET_CHROMIUM =
  'install it with "sudo apt-get install -y chromium" (Debian/Ubuntu; or run "node scripts/install-chromium.mjs"), or point CHROMIUM_PATH at a Chromium binary';

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

export function hasChromium(): boolean {
  return existsSync(chromiumPath());
}

export async function launchChromium(): Promise<Browser> {
  const path = chromiumPath();
  if (!existsSync(path)) throw new ReportError('bad-input', `no Chromium at ${path}: ${HOW_TO_GET_CHROMIUM}`);
  return chromium.launch({ executablePath: path, args: CHROMIUM_ARGS });
}

export interface OfflinePage {
  page: Page;
  /** Requests other than the report file itself (all of them were blocked). */
  requests: string[];
  consoleErrors: string[];
  pageErrors: string[];
  close(): Promise<void>;
}

/** Opens a report file with the network off and every request except the file itself refused. */
export async function openOffline(
  browser: Browser,
  file: string,
  viewport = { width: 1280, height: 900 },
  deviceScaleFactor = 1,
): Promise<OfflinePage> {
  const url = pathToFileURL(file).href;
  const context = await browser.newContext({
    viewport,
    deviceScaleFactor,
    offline: true,
    javaScriptEnabled: true,
  });
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  await context.route('**/*', (route) => {
    const u = route.request().url();
    return u === url ? route.continue() : route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('request', (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(url, { waitUntil: 'load' });
  return { page, requests, consoleErrors, pageErrors, close: () => context.close() };
}
