// Debian's Chromium driven by playwright-core, for the page's end-to-end tests. A missing browser is a
// failure, never a skip: CI installs it with .ci/browser.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.resolve('test-output/screenshots');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}; install it with "bash .ci/browser" (apt-get install -y chromium).`);
  }
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** What went wrong inside the page: uncaught errors, console errors (a CSP violation is one), and requests that left the origin. */
export interface PageProblems {
  errors: string[];
  foreignRequests: string[];
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  problems: PageProblems;
}

/** A fresh context (its own sessionStorage and localStorage) with one page watching for problems. */
export async function openPage(
  browser: Browser,
  origin: string,
  viewport = { width: 1280, height: 900 },
  expectedStatuses: number[] = [],
): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport, acceptDownloads: true, baseURL: origin });
  const page = await context.newPage();
  const problems: PageProblems = { errors: [], foreignRequests: [] };
  page.on('pageerror', (error) => problems.errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // Chromium logs every 4xx answer as an error; a refused key is answered 401 by design.
    if (expectedStatuses.some((status) => message.text().includes(`status of ${status}`))) return;
    problems.errors.push(`console: ${message.text()}`);
  });
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:')) problems.foreignRequests.push(url);
  });
  return { context, page, problems };
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage });
}

/** expect.poll with room for a loaded machine: the page fetches, renders and re-renders asynchronously. */
export function eventually<T>(read: () => T | Promise<T>) {
  return expect.poll(read, { timeout: 15_000, interval: 100 });
}
