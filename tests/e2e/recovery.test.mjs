// Failures and recovery end to end, through the real proxy, against a fake
// upstream that answers with the documented error shapes: every error says
// what happened and keeps what the person wrote; 429 counts down and retries;
// broken streams keep their partial answer; the conversation controls work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startProxy, launchBrowser, openWidget } from './harness.mjs';
import { startFakeUpstream } from './fake-upstream.mjs';

const IMAGE = fileURLToPath(new URL('../fixtures/images/requests-bar.jpg', import.meta.url));
const ANSWER = 'The **busiest** day is Tuesday, with 340 requests.\n\nMonday follows with 120.\n';
let plans = [];
let browser;
let fake;
let proxy;
before(async () => {
  fake = await startFakeUpstream({ answer: () => ANSWER, delayMs: 5, script: (_, i) => plans[i] });
  proxy = await startProxy({ upstream: fake.url });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await proxy?.stop();
  await fake?.close();
});

/** Plans for the next requests, in order; later requests stream normally. */
function expect(...next) {
  plans = [...Array(fake.requests.length).fill(undefined), ...next];
}

const error = (status, code, message, headers = {}) =>
  ({ status, headers, body: JSON.stringify({ error: { message, type: null, param: code === 'content_filter' ? 'prompt' : null, code, status } }) });

async function page() {
  const { page } = await openWidget(browser, proxy.url);
  return page;
}

test('each error status is explained and the draft and image stay in the composer', async () => {
  const cases = [
    [error(400, 'content_filter', "The response was filtered due to the prompt triggering Microsoft's content management policy. Please modify your prompt and retry."),
      /HTTP 400 content_filter: The response was filtered/, /content filter blocked this prompt/],
    [error(401, 'Unauthorized', 'Access denied due to invalid subscription key.'), /HTTP 401 Unauthorized: Access denied/, /refused the credentials/],
    [error(403, 'Forbidden', 'Principal does not have access.'), /HTTP 403/, /refused the credentials/],
    [error(404, 'NotFound', 'Resource not found'), /HTTP 404/, /endpoint was not found/],
    [error(413, 'PayloadTooLarge', 'Request entity too large'), /HTTP 413/, /too large.*smaller image/],
    [{ status: 500, body: 'upstream exploded' }, /HTTP 500: upstream exploded/, /had a problem/],
  ];
  const p = await page();
  for (const [plan, headline, advice] of cases) {
    expect(plan);
    await p.getByTestId('file-input').setInputFiles(IMAGE);
    await p.getByTestId('attachment-preview').waitFor();
    await p.getByTestId('composer-input').fill(`question for ${plan.status}`);
    await p.getByTestId('composer-input').press('Enter');
    const row = p.getByTestId('error').last();
    await p.waitForFunction((re) => new RegExp(re).test([...vcRoot().querySelectorAll('[data-testid="error"]')].at(-1)?.textContent ?? ''), headline.source);
    assert.match(await row.textContent(), advice);
    assert.equal(await p.getByTestId('composer-input').inputValue(), `question for ${plan.status}`);
    assert.equal(await p.getByTestId('attachment-preview').getAttribute('data-width'), '800');
    assert.equal(await p.getByTestId('retry').count(), plan.status >= 500 ? 1 : 0, `Retry offered only where it can help (${plan.status})`);
    if (plan.status < 500) await p.getByTestId('remove-attachment').click();
  }
  // Retry after the 500: the same message goes again and the answer arrives.
  await p.getByTestId('retry').click();
  await p.getByTestId('usage').waitFor();
  assert.equal(await p.getByTestId('error').count(), 0, 'the error row goes');
  assert.equal(await p.getByTestId('composer-input').inputValue(), '', 'the message left the composer again');
  assert.equal(await p.getByTestId('attachment-preview').count(), 0, 'and so did its image');
  const sent = fake.requests.at(-1).body.messages.at(-1).content;
  assert.equal(sent.find((part) => part.type === 'text').text, 'question for 500');
  await p.close();
});

test('HTTP 429 counts down as the service asked, then completes by itself', async () => {
  const p = await page();
  expect(error(429, '429', 'Rate limit is exceeded.', { 'retry-after-ms': '1500' }));
  const before = fake.requests.length;
  await p.getByTestId('composer-input').fill('busy?');
  await p.getByTestId('composer-input').press('Enter');
  const countdown = p.getByTestId('retry-countdown');
  await countdown.waitFor();
  assert.match(await countdown.textContent(), /Retrying in 1\.\d s…/);
  assert.match(await p.getByTestId('error').textContent(), /HTTP 429: Rate limit is exceeded\./);
  await p.getByTestId('usage').waitFor({ timeout: 10000 });
  assert.equal(fake.requests.length - before, 2, 'one automatic retry');
  assert.equal(await p.getByTestId('error').count(), 0);
  await p.close();
});

test('a 429 retry can be cancelled; the draft comes back and Retry stays offered', async () => {
  const p = await page();
  expect(error(429, '429', 'Slow down.', { 'retry-after': '30' }));
  await p.getByTestId('composer-input').fill('cancel me');
  await p.getByTestId('composer-input').press('Enter');
  await p.getByTestId('retry-countdown').waitFor();
  assert.match(await p.getByTestId('retry-countdown').textContent(), /Retrying in (29|30)\.\d s/);
  await p.getByTestId('cancel-retry').click();
  await p.getByTestId('retry').waitFor();
  assert.equal(await p.getByTestId('retry-countdown').count(), 0);
  assert.equal(await p.getByTestId('composer-input').inputValue(), 'cancel me');
  await p.close();
});

test('a stream cut mid-answer keeps the partial text, marked, and Retry replaces it', async () => {
  const p = await page();
  expect({ cutAfter: 12 });
  await p.getByTestId('composer-input').fill('cut');
  await p.getByTestId('composer-input').press('Enter');
  const answer = p.locator('[data-testid="message"][data-role="assistant"]');
  await p.locator('[data-role="assistant"][data-state="interrupted"]').waitFor({ timeout: 10000 });
  const partial = await answer.getByTestId('message-content').textContent();
  assert.ok(partial.length > 10 && partial.length < 45, `partial: ${partial}`);
  assert.match(await answer.textContent(), /Interrupted — the partial answer is kept/);
  await p.getByTestId('regenerate').click();
  await p.getByTestId('usage').waitFor();
  assert.equal(await answer.count(), 1, 'the retried answer replaces the cut one');
  assert.equal(await answer.getByTestId('message-content').textContent(), 'The busiest day is Tuesday, with 340 requests.Monday follows with 120.');
  await p.close();
});

test('a malformed chunk is skipped and a content-filtered answer keeps its text', async () => {
  const p = await page();
  expect({ malformedAt: 3, finishReason: 'content_filter' });
  await p.getByTestId('composer-input').fill('filtered');
  await p.getByTestId('composer-input').press('Enter');
  await p.getByTestId('usage').waitFor();
  const answer = p.locator('[data-testid="message"][data-role="assistant"]');
  assert.equal(await answer.getByTestId('message-content').textContent(), 'The busiest day is Tuesday, with 340 requests.Monday follows with 120.');
  assert.match(await answer.textContent(), /content filter stopped this answer/);
  await p.close();
});

test('copy, regenerate, edit and resend, clear', async () => {
  const context = await browser.newContext();
  const p = await context.newPage();
  await p.addInitScript(() => {
    window.__clipboard = [];
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: async (t) => { window.__clipboard.push(t); } } });
  });
  await p.goto(proxy.url);
  await p.getByTestId('model-name').waitFor();
  for (const q of ['first question', 'second question']) {
    await p.getByTestId('composer-input').fill(q);
    await p.getByTestId('composer-input').press('Enter');
    await p.getByTestId('send').waitFor();
    await p.waitForFunction(() => !vcRoot().querySelector('[data-state="streaming"]'));
  }
  // Copy gives the answer's markdown source.
  await p.locator('[data-role="assistant"]').last().getByTestId('copy-message').click();
  assert.equal(await p.evaluate(() => window.__clipboard.at(-1)), ANSWER);

  // Regenerate asks again with the same history.
  const before = fake.requests.length;
  await p.getByTestId('regenerate').click();
  await p.waitForFunction(() => !vcRoot().querySelector('[data-state="streaming"]') && vcRoot().querySelectorAll('[data-testid="usage"]').length === 2);
  assert.equal(fake.requests.length, before + 1);
  assert.deepEqual(fake.requests.at(-1).body.messages.map((m) => m.role), ['user', 'assistant', 'user']);
  assert.equal(await p.getByTestId('message').count(), 4);

  // Edit the first question and send from there: what followed is dropped.
  await p.locator('[data-role="user"]').first().getByTestId('edit-message').click();
  await p.getByTestId('edit-input').fill('first question, edited');
  await p.getByTestId('save-edit').click();
  await p.waitForFunction(() => !vcRoot().querySelector('[data-state="streaming"]') && vcRoot().querySelectorAll('[data-testid="message"]').length === 2);
  assert.deepEqual(fake.requests.at(-1).body.messages, [{ role: 'user', content: 'first question, edited' }]);
  assert.equal(await p.locator('[data-role="user"] [data-testid="message-content"]').textContent(), 'first question, edited');

  await p.getByTestId('clear').click();
  assert.equal(await p.getByTestId('message').count(), 0);
  await context.close();
});
