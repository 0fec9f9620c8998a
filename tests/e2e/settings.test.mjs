// Settings end to end: what the panel sets is what reaches the upstream
// (through the real proxy), mistakes are explained and block sending
// without losing the draft, and the form survives a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy, launchBrowser, openWidget } from './harness.mjs';
import { startFakeUpstream } from './fake-upstream.mjs';

let browser;
let fake;
let proxy;
before(async () => {
  fake = await startFakeUpstream({ answer: () => 'Fine.' });
  proxy = await startProxy({ upstream: fake.url });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await proxy?.stop();
  await fake?.close();
});

async function ask(page, text) {
  const before = await page.getByTestId('usage').count();
  await page.getByTestId('composer-input').fill(text);
  await page.getByTestId('composer-input').press('Enter');
  await page.waitForFunction((n) => vcRoot().querySelectorAll('[data-testid="usage"]').length > n, before);
  return fake.requests.at(-1);
}

test('parameters and extras from the panel reach the upstream, the header only with extras', async () => {
  const { page, errors } = await openWidget(browser, proxy.url);
  let sent = await ask(page, 'plain');
  assert.deepEqual(Object.keys(sent.body).sort(), ['messages', 'stream']);
  assert.equal(sent.headers['extra-parameters'], undefined);

  await page.getByTestId('settings-toggle').click();
  const panel = page.getByTestId('settings');
  await panel.getByLabel('Temperature').fill('0.3');
  await panel.getByLabel('Max tokens').fill('50');
  await panel.getByLabel('Stop sequences (one per line)').fill('END\nSTOP');
  await panel.getByLabel('Presence penalty').fill('-0.5');
  await panel.getByLabel('Response format').selectOption('text');
  await panel.getByLabel('System message').fill('Answer in French.');
  assert.match(await panel.textContent(), /receives .*as a user message|sends this to the model as a user message/);
  sent = await ask(page, 'with parameters');
  assert.equal(sent.body.temperature, 0.3);
  assert.equal(sent.body.max_tokens, 50);
  assert.deepEqual(sent.body.stop, ['END', 'STOP']);
  assert.equal(sent.body.presence_penalty, -0.5);
  assert.deepEqual(sent.body.response_format, { type: 'text' });
  assert.deepEqual(sent.body.messages[0], { role: 'system', content: 'Answer in French.' });
  assert.equal(sent.headers['extra-parameters'], undefined, 'no extras, no header');

  await panel.getByLabel('Log probabilities (logprobs)').check();
  await panel.getByLabel('Top logprobs').fill('2');
  await panel.getByLabel('Logit bias (JSON: token id → -100 … 100)').fill('{"1234": -100}');
  sent = await ask(page, 'with extras');
  assert.equal(sent.headers['extra-parameters'], 'pass-through');
  assert.equal(sent.body.logprobs, true);
  assert.equal(sent.body.top_logprobs, 2);
  assert.deepEqual(sent.body.logit_bias, { 1234: -100 });
  assert.deepEqual(errors, []);

  // Kept across a reload; reset clears.
  await page.reload();
  await page.getByTestId('model-name').waitFor();
  await page.getByTestId('settings-toggle').click();
  assert.equal(await page.getByTestId('settings').getByLabel('Temperature').inputValue(), '0.3');
  await page.getByTestId('settings-reset').click();
  assert.equal(await page.getByTestId('settings').getByLabel('Temperature').inputValue(), '');
  sent = await ask(page, 'after reset');
  assert.deepEqual(Object.keys(sent.body).sort(), ['messages', 'stream']);
  await page.close();
});

test('mistakes are explained next to the field and block sending, keeping the draft', async () => {
  const { page } = await openWidget(browser, proxy.url);
  await page.getByTestId('settings-toggle').click();
  const panel = page.getByTestId('settings');
  await panel.getByLabel('Temperature').fill('1.5');
  assert.match(await panel.textContent(), /temperature must be a number from 0 to 1/);
  assert.equal(await panel.getByLabel('Temperature').getAttribute('aria-invalid'), 'true');
  await panel.getByLabel('Response format').selectOption('json_object');
  assert.match(await panel.textContent(), /Phi-3 family models don't support JSON output formatting/);

  const requests = fake.requests.length;
  await page.getByTestId('composer-input').fill('Keep me');
  await page.getByTestId('composer-input').press('Enter');
  const problem = page.getByTestId('send-problem');
  await problem.waitFor();
  assert.match(await problem.textContent(), /Not sent — fix the settings first: temperature must be a number from 0 to 1; Phi-3/);
  assert.equal(await page.getByTestId('composer-input').inputValue(), 'Keep me');
  assert.equal(fake.requests.length, requests, 'nothing was sent');
  assert.equal(await page.getByTestId('message').count(), 0);
  await page.getByTestId('settings-reset').click();
  await page.close();
});

test('n = 2 shows both choices as tabs with their finish reasons, usage once', async () => {
  const { page } = await openWidget(browser, proxy.url);
  await page.getByTestId('settings-toggle').click();
  await page.getByTestId('settings').getByLabel('Choices (n)').fill('2');
  await page.getByTestId('settings-toggle').click();
  await ask(page, 'two answers please');
  assert.equal(fake.requests.at(-1).body.n, 2);
  assert.equal(fake.requests.at(-1).headers['extra-parameters'], 'pass-through');
  const tabs = page.getByTestId('choice-tab');
  await tabs.first().waitFor();
  assert.deepEqual(await tabs.allTextContents(), ['Choice 1 · stop', 'Choice 2 · length']);
  assert.equal(await page.getByTestId('usage').count(), 1);
  await tabs.nth(1).click();
  assert.equal(await tabs.nth(1).getAttribute('aria-selected'), 'true');
  assert.match(await page.getByTestId('choice-content').textContent(), /Fine\.\(variant 2\)/);
  await tabs.nth(0).click();
  assert.equal(await page.getByTestId('choice-content').count(), 0);
  await page.getByTestId('settings-toggle').click();
  await page.getByTestId('settings-reset').click();
  await page.close();
});

test('with logprobs the answer tokens are tinted and show alternatives on hover and focus', async () => {
  const { page } = await openWidget(browser, proxy.url);
  await page.getByTestId('settings-toggle').click();
  await page.getByTestId('settings').getByLabel('Log probabilities (logprobs)').check();
  await page.getByTestId('settings').getByLabel('Top logprobs').fill('2');
  await page.getByTestId('settings-toggle').click();
  await ask(page, 'how sure are you?');
  await page.getByTestId('logprobs-toggle').click();
  const tokens = page.locator('[data-testid="token-view"] .vc-token');
  assert.equal((await tokens.allTextContents()).join(''), 'Fine.');
  const classes = await tokens.evaluateAll((els) => els.map((e) => e.className));
  assert.ok(classes.every((c) => /vc-token-(high|medium|low)/.test(c)));
  // Keyboard: Tab reaches a token; its alternatives show on focus.
  await tokens.first().focus();
  const tip = await tokens.first().evaluate((el) => getComputedStyle(el, '::after').content);
  // CSS generated content (the tooltip), as the browser computes it on focus.
  assert.ok(tip.startsWith('"98.0% — ') && tip.includes('Fine') && tip.includes('8.2%'), tip);
  await tokens.first().blur();
  assert.equal(await tokens.first().evaluate((el) => getComputedStyle(el, '::after').content), 'none', 'hidden again');
  assert.match(await tokens.first().getAttribute('title'), /98\.0%/);
  await page.getByTestId('settings-toggle').click();
  await page.getByTestId('settings-reset').click();
  await page.close();
});
