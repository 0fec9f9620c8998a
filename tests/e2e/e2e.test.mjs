// End to end: the release widget served by the real proxy (demo endpoint,
// or a dead upstream), driven in headless Chromium like a person would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startProxy, launchBrowser, openWidget } from './harness.mjs';

let browser;
let demo;

before(async () => {
  demo = await startProxy({ demoDelayMs: 40 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

const assistantContent = (page) => page.locator('[data-testid="message"][data-role="assistant"] [data-testid="message-content"]');

test('the header names the demo model', async () => {
  const { page, errors } = await openWidget(browser, demo.url);
  assert.equal(await page.getByTestId('model-name').textContent(), 'vision-chat-demo');
  assert.match(await page.locator('.vc-header').textContent(), /demo endpoint/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the widget\'s files arrive as the precompressed brotli copies, with their own types', async () => {
  const page = await browser.newPage();
  const responses = new Map();
  page.on('response', (r) => responses.set(new URL(r.url()).pathname, r));
  await page.goto(demo.url);
  await page.getByTestId('model-name').waitFor();
  const types = { '/vision-chat.js': 'text/javascript', '/widget.js': 'text/javascript',
    '/widget_bg.wasm': 'application/wasm', '/widget.css': 'text/css' };
  for (const [path, type] of Object.entries(types)) {
    const headers = await responses.get(path)?.allHeaders();
    assert.ok(headers, `${path} was loaded`);
    assert.equal(headers['content-encoding'], 'br', path);
    assert.equal(headers['content-type'], type, path);
    assert.match(headers.vary ?? '', /accept-encoding/i, path);
  }
  await page.close();
});

test('an answer streams in, grows over several observations, then shows its usage', async () => {
  const { page, errors } = await openWidget(browser, demo.url);
  const input = page.getByTestId('composer-input');
  await input.fill('What does the chart show?');
  await input.press('Enter');

  const lengths = [];
  const answer = assistantContent(page).first();
  const usage = page.getByTestId('usage');
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline && (await usage.count()) === 0) {
    const text = (await answer.count()) ? await answer.textContent() : '';
    if (lengths.at(-1) !== text.length) lengths.push(text.length);
    await page.waitForTimeout(60);
  }
  assert.equal(await usage.count(), 1, 'usage appears when the stream ends');
  const growing = lengths.filter((n) => n > 0);
  assert.ok(growing.length >= 4, `the text grew over several observations: ${lengths}`);
  // Markdown may shorten the text for a moment (a table's pipes vanish once
  // its delimiter row arrives), but the answer ends longer than it began.
  assert.ok(growing.at(-1) > growing[0], `grows: ${lengths}`);
  assert.ok(growing.at(-1) >= Math.max(...growing) * 0.9, `ends near its longest: ${lengths}`);

  const finalText = await answer.textContent();
  assert.match(finalText, /demo endpoint/);
  assert.match(finalText, /"What does the chart show\?"/);
  const [prompt, completion, total] = await Promise.all(
    ['data-prompt-tokens', 'data-completion-tokens', 'data-total-tokens'].map((a) => usage.getAttribute(a).then(Number)));
  assert.ok(prompt > 0 && completion > 0);
  assert.equal(total, prompt + completion);
  assert.match(await usage.textContent(), new RegExp(`${completion} completion`));
  assert.equal(await input.inputValue(), '');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the history goes with the next question', async () => {
  const { page } = await openWidget(browser, demo.url);
  const input = page.getByTestId('composer-input');
  for (const question of ['First question', 'Second question']) {
    await input.fill(question);
    await input.press('Enter');
    await page.getByTestId('send').waitFor();
    await page.waitForFunction(() => !vcRoot().querySelector('[data-testid="stop"]'));
  }
  const last = await assistantContent(page).nth(1).textContent();
  assert.match(last, /Turns3 \(2 from you, 1 from the assistant\)/);
  assert.match(last, /"Second question"/);
  assert.equal(await page.getByTestId('usage').count(), 2);
  await page.close();
});

test('Shift+Enter inserts a newline instead of sending', async () => {
  const { page } = await openWidget(browser, demo.url);
  const input = page.getByTestId('composer-input');
  await input.click();
  await page.keyboard.type('line one');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('line two');
  assert.equal(await input.inputValue(), 'line one\nline two');
  assert.equal(await page.getByTestId('message').count(), 0);
  await page.close();
});

test('Stop mid-stream keeps the partial answer, marked as stopped', async () => {
  const { page, errors } = await openWidget(browser, demo.url);
  const input = page.getByTestId('composer-input');
  await input.fill('Tell me about the chart');
  await input.press('Enter');
  const answer = assistantContent(page).first();
  await page.waitForFunction(() => {
    const el = vcRoot().querySelector('[data-role="assistant"] [data-testid="message-content"]');
    return el && el.textContent.length > 30;
  });
  await page.getByTestId('stop').click();
  await page.locator('[data-testid="message"][data-role="assistant"][data-state="stopped"]').waitFor();
  const kept = await answer.textContent();
  assert.ok(kept.length > 30, 'the partial text is kept');
  await page.waitForTimeout(400);
  assert.equal(await answer.textContent(), kept, 'nothing arrives after Stop');
  assert.ok(!/To talk to a real model/.test(kept), 'the answer really was cut short');
  assert.equal(await page.getByTestId('usage').count(), 0);
  assert.match(await page.locator('[data-role="assistant"] .vc-note').textContent(), /Stopped/);
  await page.getByTestId('send').waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test('an unreachable upstream is explained and the draft survives', async () => {
  const closed = await new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
  const broken = await startProxy({ upstream: `http://127.0.0.1:${closed}`, key: 'e2e-secret-key' });
  try {
    const { page } = await openWidget(browser, broken.url);
    assert.equal(await page.getByTestId('model-name').textContent(), 'Model unavailable');
    const input = page.getByTestId('composer-input');
    await page.getByTestId('file-input').setInputFiles(new URL('../fixtures/images/requests-bar.jpg', import.meta.url).pathname);
    await page.getByTestId('attachment-preview').waitFor();
    await input.fill('Is anyone there?');
    await input.press('Enter');
    const error = page.getByTestId('error');
    await error.waitFor();
    assert.match(await error.textContent(), /HTTP 502 upstream_unreachable/);
    assert.equal(await input.inputValue(), 'Is anyone there?');
    await page.getByTestId('attachment-preview').waitFor();
    assert.equal(await page.getByTestId('attachment-preview').getAttribute('data-width'), '800', 'the image is back too');
    assert.equal(await page.locator('[data-testid="message"][data-role="user"]').getAttribute('data-state'), 'not-sent');
    assert.ok(!(await page.content()).includes('e2e-secret-key'), 'the key never reaches the page');
    assert.ok(!broken.output().includes('e2e-secret-key'), 'nor the logs');
    await page.close();
  } finally {
    await broken.stop();
  }
});

test('the conversation follows a growing answer unless the reader scrolled up', async () => {
  const page = await browser.newPage({ viewport: { width: 700, height: 420 } });
  await page.goto(demo.url);
  await page.getByTestId('model-name').waitFor();
  const input = page.getByTestId('composer-input');
  const atEnd = () => page.locator('.vc-log').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 2);
  for (const q of ['One', 'Two']) {
    await input.fill(q);
    await input.press('Enter');
    await page.getByTestId('send').waitFor();
  }
  assert.ok(await page.locator('.vc-log').evaluate((el) => el.scrollHeight > el.clientHeight), 'the log overflows');
  await page.waitForTimeout(100);
  assert.ok(await atEnd(), 'pinned to the end while answers stream');
  // Scroll up to read; the next answer must not pull the view down.
  await page.locator('.vc-log').evaluate((el) => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); });
  await input.fill('Three');
  await input.press('Enter');
  await page.getByTestId('send').waitFor();
  assert.equal(await page.locator('.vc-log').evaluate((el) => el.scrollTop), 0);
  await page.close();
});
