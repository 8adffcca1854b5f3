// Test helper: Debian's chromium through playwright-core, with the flags this closed network needs.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** True when the browser tests must be skipped: no chromium here, and not CI (where .ci/run installs it and it must run). */
export const browserMissing = !existsSync(CHROMIUM) && !process.env.CI;
if (browserMissing) console.warn(`skipping browser test: ${CHROMIUM} not found (apt-get install chromium)`);

/** Headless, no sandbox (root), and nothing that phones home (those connections are refused here). */
export const launchBrowser = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
