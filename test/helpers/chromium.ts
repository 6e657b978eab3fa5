/**
 * Debian's Chromium driven by playwright-core, for the browser tests and the benchmarks. No browser is
 * downloaded: `.ci/run` installs the `chromium` package when it is missing.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.MCSC_CHROMIUM ?? '/usr/bin/chromium';

/** Launches headless Chromium, or fails saying how to get it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the browser test drives Debian's Chromium. Install it (apt-get install chromium; .ci/run does) or set MCSC_CHROMIUM to its executable`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
