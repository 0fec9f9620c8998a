// A bare Chrome DevTools Protocol client over `--remote-debugging-pipe`, for
// the streaming benchmark. Playwright enables the Network domain on every
// page, and DevTools then keeps and decodes each response body on the page's
// main thread (≈ 19 ms for the 8.6 MB event stream of a 200 KB answer): a
// task no user has. This client enables only what the benchmark reads.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM } from './harness.mjs';

/** Starts headless Chromium; `close()` stops it and removes its profile. */
export async function launchBareBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'vision-chat-cdp-'));
  const child = spawn(CHROMIUM, [
    '--headless', '--remote-debugging-pipe', `--user-data-dir=${profile}`,
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    'about:blank',
  ], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
  const [toBrowser, fromBrowser] = [child.stdio[3], child.stdio[4]];
  let nextId = 0;
  const pending = new Map();
  const listeners = new Set();
  let buffered = Buffer.alloc(0);
  fromBrowser.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (let end; (end = buffered.indexOf(0)) >= 0;) {
      const message = JSON.parse(buffered.subarray(0, end).toString('utf8'));
      buffered = buffered.subarray(end + 1);
      const waiting = pending.get(message.id);
      if (waiting) {
        pending.delete(message.id);
        if (message.error) waiting.reject(new Error(`${waiting.method}: ${message.error.message}`));
        else waiting.resolve(message.result);
      } else {
        for (const listener of listeners) listener(message);
      }
    }
  });
  const exited = new Promise((resolve) => child.once('exit', () => {
    for (const { reject, method } of pending.values()) reject(new Error(`${method}: the browser exited`));
    pending.clear();
    resolve();
  }));
  const send = (method, params = {}, sessionId) => new Promise((resolve, reject) => {
    const id = ++nextId;
    pending.set(id, { resolve, reject, method });
    toBrowser.write(JSON.stringify({ id, method, params, sessionId }) + '\0');
  });

  return {
    /** A new tab, driven through its own session. */
    async newPage() {
      const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
      const call = (method, params) => send(method, params, sessionId);
      const on = (method, listener) => {
        const wrapped = (m) => m.sessionId === sessionId && m.method === method && listener(m.params);
        listeners.add(wrapped);
        return () => listeners.delete(wrapped);
      };
      return {
        call,
        /** Evaluates `expression` in the page, awaiting a promise it returns. */
        async evaluate(expression) {
          const { result, exceptionDetails } = await call('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
          if (exceptionDetails) throw new Error(`page: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
          return result.value;
        },
        async goto(url) {
          await call('Page.enable');
          const loaded = new Promise((resolve) => { const off = on('Page.loadEventFired', () => { off(); resolve(); }); });
          await call('Page.navigate', { url });
          await loaded;
        },
        async pressEnter() {
          const key = { key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13 };
          await call('Input.dispatchKeyEvent', { type: 'keyDown', text: '\r', unmodifiedText: '\r', ...key });
          await call('Input.dispatchKeyEvent', { type: 'keyUp', ...key });
        },
        /** Records a trace while `during` runs; returns its events. */
        async trace(categories, during) {
          const events = [];
          const offData = on('Tracing.dataCollected', ({ value }) => events.push(...value));
          const complete = new Promise((resolve) => { const off = on('Tracing.tracingComplete', () => { off(); resolve(); }); });
          await call('Tracing.start', { traceConfig: { includedCategories: categories }, transferMode: 'ReportEvents' });
          const result = await during();
          await call('Tracing.end');
          await complete;
          offData();
          return { result, events };
        },
        close: () => send('Target.closeTarget', { targetId }),
      };
    },
    async close() {
      await send('Browser.close').catch(() => {});
      await exited;
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
