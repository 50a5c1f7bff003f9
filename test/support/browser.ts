import { existsSync } from 'node:fs';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';

/** Debian's Chromium; ROSTER_CHROMIUM points elsewhere (another build, a snap, a CI image). */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export function chromiumPath(): string {
  return process.env.ROSTER_CHROMIUM || DEFAULT_CHROMIUM;
}

/**
 * Flags for a quiet, self-contained headless browser: no sandbox (tests run as root in CI),
 * no GPU, and none of Chromium's own background traffic (updates, sync, safe browsing).
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export class BrowserMissingError extends Error {
  constructor(path: string) {
    super(
      `Chromium was not found at ${path}. The browser tests need a real Chromium:\n` +
        `  apt-get update && apt-get install -y chromium      (Debian/Ubuntu; installs /usr/bin/chromium)\n` +
        `or point ROSTER_CHROMIUM at an existing Chromium or Chrome binary.`,
    );
    this.name = 'BrowserMissingError';
  }
}

/** Starts Chromium, or throws a BrowserMissingError that says how to install it: never a silent skip. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new BrowserMissingError(executablePath);
  }
  try {
    return await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Chromium at ${executablePath} did not start: ${reason}`, { cause: error });
  }
}

/** What a page did that a test may want to assert on or print when it fails. */
export interface PageDiagnostics {
  /** Uncaught exceptions in the page. */
  pageErrors: string[];
  /** console.error messages. */
  consoleErrors: string[];
  /** Requests to anything but loopback: aborted, since tests have no network and must not need one. */
  blockedRequests: string[];
}

function isLoopback(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'data:' || parsed.protocol === 'blob:' || parsed.protocol === 'about:') {
    return true;
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  diagnostics: PageDiagnostics;
}

/** A fresh context (no stored authorization) and page, with its errors and off-machine requests recorded. */
export async function openPage(browser: Browser, viewport = { width: 1280, height: 900 }): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport });
  const diagnostics: PageDiagnostics = { pageErrors: [], consoleErrors: [], blockedRequests: [] };
  await context.route(
    (url) => !isLoopback(url.toString()),
    async (route) => {
      diagnostics.blockedRequests.push(route.request().url());
      await route.abort('blockedbyclient');
    },
  );
  const page = await context.newPage();
  page.on('pageerror', (error) => diagnostics.pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') {
      diagnostics.consoleErrors.push(message.text());
    }
  });
  return { context, page, diagnostics };
}
