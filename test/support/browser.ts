/**
 * Headless Chromium from Debian's package (`/usr/bin/chromium`), driven by playwright-core. The
 * jest global setup installs the package when it is missing; if that failed, launching says why.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags this machine needs: no sandbox as root, and no background calls to a closed network. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`${CHROMIUM_PATH} is missing and could not be installed: ${process.env.CHROMIUM_INSTALL_ERROR ?? 'the jest global setup did not run'}. Install it with: apt-get install -y chromium`);
  // playwright-core makes a new empty profile directory for each launch.
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: FLAGS });
}
