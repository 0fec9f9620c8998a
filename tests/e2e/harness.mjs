// Shared by the end-to-end tests and benchmarks: starts the real proxy on a
// free loopback port and Debian's Chromium, and stops both afterwards.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chromium } from 'playwright-core';

export const PROXY = process.env.VISION_CHAT_PROXY;
export const DIST = process.env.VISION_CHAT_DIST;
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

if (!PROXY || !DIST) {
  throw new Error('Set VISION_CHAT_PROXY and VISION_CHAT_DIST (cargo xtask test does).');
}

const running = new Set();
process.on('exit', () => { for (const p of running) p.kill('SIGKILL'); });

/**
 * Starts the proxy; resolves once it prints its address. `upstream`: a base
 * URL to forward to (with `key` as its credential); without it, demo mode.
 */
export async function startProxy({ demoDelayMs = 40, upstream, key = 'test-key', env = {}, args = [] } = {}) {
  if (upstream) env = { AZURE_INFERENCE_ENDPOINT: upstream, AZURE_INFERENCE_CREDENTIAL: key, ...env };
  const child = spawn(PROXY, ['--listen', '127.0.0.1:0', '--static-dir', DIST, '--demo-delay-ms', String(demoDelayMs), ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stderr.on('data', (d) => { output += d; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy did not start:\n${output}`)), 15000);
    child.stdout.on('data', (d) => {
      output += d;
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`proxy exited with ${code}:\n${output}`)); });
  });
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      running.delete(child);
    },
  };
}

/**
 * Installed in every page: the widget lives in the open shadow root of a
 * <vision-chat> element, so page scripts reach it through these.
 * `vcRoot(i)`: the i-th element's shadow root; `vcActive()`: the focused
 * element, through shadow roots.
 */
function shadowHelpers() {
  window.vcRoot = (i = 0) => document.querySelectorAll('vision-chat')[i]?.shadowRoot ?? document;
  window.vcActive = () => {
    let active = document.activeElement;
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
    return active;
  };
}

export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const context = await newContext(options);
    await context.addInitScript(shadowHelpers);
    return context;
  };
  browser.newPage = async (options) => {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    page.once('close', () => context.close().catch(() => {}));
    return page;
  };
  return browser;
}

/** A page that fails the test on any uncaught page error. */
export async function openWidget(browser, url) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.getByTestId('model-name').waitFor();
  return { page, errors };
}
