// Endpoint and authentication: direct mode with a key kept in session
// storage (or remembered on request), a bearer token handed over by the
// host page, and a clear explanation when an endpoint refuses the browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy, launchBrowser, openWidget } from './harness.mjs';
import { startFakeUpstream } from './fake-upstream.mjs';

const KEY = 'direct-secret-key-0000000000001234';
let browser;
let open;
let closed;
let demo;
before(async () => {
  open = await startFakeUpstream({ answer: () => 'Direct hello.', cors: true });
  closed = await startFakeUpstream({ answer: () => 'unreachable', cors: false });
  demo = await startProxy({ demoDelayMs: 1 });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await demo?.stop();
  await open?.close();
  await closed?.close();
});

async function goDirect(page, endpoint, { remember = false } = {}) {
  await page.getByTestId('settings-toggle').click();
  const panel = page.getByTestId('connection');
  await panel.getByLabel('Directly to an endpoint, with my key').check();
  await panel.getByLabel('Endpoint URL').fill(endpoint);
  if (remember) await panel.getByLabel(/Remember the key/).check();
  await panel.getByLabel('Key', { exact: true }).fill(KEY);
  await panel.getByLabel('Key', { exact: true }).press('Enter');
}

async function ask(page, text) {
  await page.getByTestId('composer-input').fill(text);
  await page.getByTestId('composer-input').press('Enter');
}

test('direct mode sends the key as api-key, keeps it in session storage and never shows it again', async () => {
  const { page, errors } = await openWidget(browser, demo.url);
  await goDirect(page, open.url);
  assert.equal(await page.getByTestId('key-saved').textContent().then((t) => t.includes('••••1234')), true);
  assert.equal(await page.getByTestId('connection').getByLabel('Key', { exact: true }).inputValue(), '');
  await page.waitForFunction(() => vcRoot().querySelector('[data-testid="model-name"]')?.textContent === 'fake-phi');
  assert.match(await page.getByTestId('model-details').textContent(), /chat-completions · test double/);
  await ask(page, 'hello directly');
  await page.getByTestId('usage').waitFor();
  const sent = open.requests.at(-1);
  assert.equal(sent.headers['api-key'], KEY);
  assert.equal(sent.headers.authorization, undefined);
  const stored = await page.evaluate(() => [sessionStorage.getItem('vision-chat:key'), localStorage.getItem('vision-chat:key')]);
  assert.deepEqual(stored, [KEY, null], 'session storage only');
  assert.ok(!(await page.content()).includes(KEY), 'the key is not in the page');
  assert.deepEqual(errors, []);

  // Opting in moves it to local storage; forgetting removes it everywhere.
  await page.getByTestId('connection').getByLabel(/Remember the key/).check();
  assert.deepEqual(await page.evaluate(() => [sessionStorage.getItem('vision-chat:key'), localStorage.getItem('vision-chat:key')]), [null, KEY]);
  await page.getByTestId('forget-key').click();
  assert.deepEqual(await page.evaluate(() => [sessionStorage.getItem('vision-chat:key'), localStorage.getItem('vision-chat:key')]), [null, null]);
  await page.close();
});

test('a bearer token handed over by the host page replaces the key', async () => {
  const { page } = await openWidget(browser, demo.url);
  await goDirect(page, open.url);
  await page.evaluate(() => document.querySelector('vision-chat').setToken('entra-token-xyz'));
  await ask(page, 'with a token');
  await page.getByTestId('usage').waitFor();
  const sent = open.requests.at(-1);
  assert.equal(sent.headers.authorization, 'Bearer entra-token-xyz');
  assert.equal(sent.headers['api-key'], undefined);
  await page.close();
});

test('an endpoint that refuses the browser (CORS) is explained and the draft stays', async () => {
  const { page } = await openWidget(browser, demo.url);
  await goDirect(page, closed.url);
  await ask(page, 'will this work?');
  const error = page.getByTestId('error');
  await error.waitFor();
  assert.match(await error.textContent(), /refused this page: direct mode needs the endpoint to allow requests from http:\/\/127\.0\.0\.1:\d+ \(CORS\)/);
  assert.equal(await page.getByTestId('composer-input').inputValue(), 'will this work?');
  // Back to the proxy: it works again, and no key is sent there.
  await page.getByTestId('connection').getByLabel(/Through this site's proxy/).check();
  await page.waitForFunction(() => vcRoot().querySelector('[data-testid="model-name"]')?.textContent === 'vision-chat-demo');
  await page.close();
});
