// Images end to end: drop, paste and pick real fixture files on the release
// widget in headless Chromium, check the preview, the refusals, and what the
// demo endpoint (the real proxy) says it received.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startProxy, launchBrowser, openWidget } from './harness.mjs';

const FIXTURES = fileURLToPath(new URL('../fixtures/images/', import.meta.url));
const fixture = (name) => FIXTURES + name;

let browser;
let demo;
before(async () => {
  demo = await startProxy({ demoDelayMs: 2 });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await demo?.stop();
});

/** Drops a file on the widget with real drag events carrying a DataTransfer. */
async function dropFile(page, name, { bytes, type = '' } = {}) {
  const b64 = (bytes ?? readFileSync(fixture(name))).toString('base64');
  await page.evaluate(({ name, b64, type }) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([data], name, { type }));
    const zone = vcRoot().querySelector('[data-testid="drop-zone"]');
    const target = vcRoot().querySelector('[data-testid="message-content"]') || zone;
    for (const kind of ['dragenter', 'dragover']) {
      target.dispatchEvent(new DragEvent(kind, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }
    target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
  }, { name, b64, type });
}

async function pasteFile(page, name, type) {
  const b64 = readFileSync(fixture(name)).toString('base64');
  return page.evaluate(({ name, b64, type }) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([data], name, { type }));
    const input = vcRoot().querySelector('[data-testid="composer-input"]');
    const ev = new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: dt });
    input.dispatchEvent(ev);
    return ev.defaultPrevented;
  }, { name, b64, type });
}

async function preview(page) {
  const p = page.getByTestId('attachment-preview');
  await p.waitFor({ timeout: 15000 });
  const attr = async (a) => p.getAttribute(a);
  return {
    width: Number(await attr('data-width')),
    height: Number(await attr('data-height')),
    originalWidth: Number(await attr('data-original-width')),
    originalHeight: Number(await attr('data-original-height')),
    bytes: Number(await attr('data-bytes')),
    tokens: Number(await attr('data-tokens')),
    format: await attr('data-format'),
    text: await p.textContent(),
  };
}

async function sendAndWait(page) {
  const before = await page.getByTestId('usage').count();
  await page.getByTestId('send').click();
  await page.waitForFunction((n) => vcRoot().querySelectorAll('[data-testid="usage"]').length > n, before, { timeout: 20000 });
  return page.locator('[data-role="assistant"] [data-testid="message-content"]').last().textContent();
}

const ACCEPTED = [
  // name, mime the browser might claim, original size, expected sent format
  ['quality-vs-size.png', 'image/png', [1200, 720], 'image/png'],
  ['revenue-by-region.png', 'image/png', [990, 550], 'image/png'],
  ['requests-bar.jpg', 'image/jpeg', [800, 500], 'image/jpeg'],
  ['requests-bar.webp', 'image/webp', [800, 500], null],
  ['requests-bar-small.gif', 'image/gif', [400, 250], null],
];

test('each accepted fixture dropped on the widget gets a truthful preview', async () => {
  const { page, errors } = await openWidget(browser, demo.url);
  for (const [name, type, [w, h], format] of ACCEPTED) {
    if (await page.getByTestId('remove-attachment').count()) await page.getByTestId('remove-attachment').click();
    await dropFile(page, name, { type });
    const p = await preview(page);
    assert.deepEqual([p.originalWidth, p.originalHeight], [w, h], name);
    assert.deepEqual([p.width, p.height], [w, h], `${name}: small enough, never upscaled`);
    if (format) {
      assert.equal(p.format, format, name);
      assert.match(p.text, /sent unchanged/, `${name}: a chart of a useful size is sent byte for byte`);
      assert.equal(p.bytes, readFileSync(fixture(name)).length, name);
    }
    else assert.match(p.format, /^image\/(png|jpeg)$/, `${name} is re-encoded as PNG or JPEG`);
    assert.ok(p.bytes > 0);
    assert.ok(p.tokens > 144, name);
    assert.match(p.text, new RegExp(`${w} × ${h} px`));
    assert.match(p.text, /image tokens/);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('a JPEG whose frame header lies beyond the first megabyte is judged whole, and sent byte for byte', async () => {
  // requests-bar.jpg with 1.2 MB of application segments (APP15) before its frame header.
  const original = readFileSync(fixture('requests-bar.jpg'));
  const padding = [];
  for (let i = 0; i < 20; i++) {
    const segment = Buffer.alloc(4 + 60000, 0x20);
    segment.set([0xff, 0xef, (60002 >> 8) & 0xff, 60002 & 0xff]);
    padding.push(segment);
  }
  const bytes = Buffer.concat([original.subarray(0, 2), ...padding, original.subarray(2)]);
  assert.ok(bytes.length > 1024 * 1024 + 100000);
  const { page, errors } = await openWidget(browser, demo.url);
  await dropFile(page, 'padded.jpg', { bytes, type: 'image/jpeg' });
  const p = await preview(page);
  assert.deepEqual([p.originalWidth, p.originalHeight, p.format], [800, 500, 'image/jpeg']);
  assert.match(p.text, /sent unchanged/);
  assert.equal(p.bytes, bytes.length, 'the whole file, not its first megabyte');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a 16:9 chart costs what the reference says, after a useful downscale', async () => {
  const { page } = await openWidget(browser, demo.url);
  // A 1900x1069 chart drawn in the page (the reference's size).
  const b64 = await page.evaluate(async () => {
    const c = new OffscreenCanvas(1900, 1069);
    const g = c.getContext('2d');
    g.fillStyle = '#fff'; g.fillRect(0, 0, 1900, 1069);
    g.fillStyle = '#1f77b4';
    for (let i = 0; i < 12; i++) g.fillRect(100 + i * 140, 1000 - i * 70, 90, i * 70);
    g.fillStyle = '#000'; g.font = '14px sans-serif';
    for (let i = 0; i < 12; i++) g.fillText(`Q${i + 1}`, 120 + i * 140, 1030);
    const blob = await c.convertToBlob({ type: 'image/png' });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = ''; for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  });
  await dropFile(page, 'reference-chart.png', { bytes: Buffer.from(b64, 'base64'), type: 'image/png' });
  const p = await preview(page);
  assert.deepEqual([p.width, p.height], [1680, 945]);
  assert.equal(p.tokens, 2353);
  assert.match(p.text, /1900 × 1069 → 1680 × 945 px/);
  assert.match(p.text, /≈ 2,353 image tokens/);
  await page.close();
});

test('a 12-megapixel photo is scaled to 1344 px and sent as JPEG', async () => {
  const { page } = await openWidget(browser, demo.url);
  const b64 = await page.evaluate(async () => {
    const c = new OffscreenCanvas(4032, 3024);
    const g = c.getContext('2d');
    const img = g.createImageData(4032, 3024);
    let x = 12345;
    for (let i = 0; i < img.data.length; i += 4) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      img.data[i] = (i / 4) % 4032 / 16; img.data[i + 1] = x & 255; img.data[i + 2] = 128; img.data[i + 3] = 255;
    }
    g.putImageData(img, 0, 0);
    const blob = await c.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = ''; for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
    return btoa(s);
  });
  await dropFile(page, 'photo.jpg', { bytes: Buffer.from(b64, 'base64'), type: 'image/jpeg' });
  const p = await preview(page);
  assert.deepEqual([p.originalWidth, p.originalHeight, p.width, p.height], [4032, 3024, 1344, 1008]);
  assert.equal(p.format, 'image/jpeg');
  assert.match(p.text, /sent as JPEG/);
  await page.close();
});

const REFUSED = [
  ['empty.png', 'image/png', /“empty\.png” was not attached: the file is empty/],
  ['truncated.png', 'image/png', /truncated or corrupt/],
  ['not-an-image.png', 'image/png', /not an image \(a PDF document\)/],
  ['script.svg', 'image/svg+xml', /SVG images are not accepted/],
  ['notes.txt', 'text/plain', /not an image \(a text file\)/],
  ['huge-dimensions.png', 'image/png', /16000 × 12000 pixels \(192\.0 megapixels\) and the limit is 50 megapixels/],
];

test('bad files are refused with their own message and the draft and image survive', async () => {
  const { page, errors } = await openWidget(browser, demo.url);
  const input = page.getByTestId('composer-input');
  await input.fill('My question, typed before the mistake');
  await dropFile(page, 'requests-bar.jpg', { type: 'image/jpeg' });
  const kept = await preview(page);
  for (const [name, type, message] of REFUSED) {
    await dropFile(page, name, { type });
    const error = page.getByTestId('attachment-error');
    await error.waitFor();
    await page.waitForFunction((n) => vcRoot().querySelector('[data-testid="attachment-error"]')?.textContent.includes(n), name);
    assert.match(await error.textContent(), message, name);
    assert.equal(await input.inputValue(), 'My question, typed before the mistake', `${name}: the draft survives`);
    assert.deepEqual(await preview(page), kept, `${name}: the pending image survives`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('an oversize file is refused from its size alone (limit set by the host attribute)', async () => {
  const { page } = await openWidget(browser, demo.url);
  await page.evaluate(() => document.querySelector('vision-chat').setAttribute('max-image-bytes', '50000'));
  await page.getByTestId('composer-input').fill('draft');
  await dropFile(page, 'revenue-by-region.png', { type: 'image/png' });
  const error = page.getByTestId('attachment-error');
  await error.waitFor();
  assert.match(await error.textContent(), /the file is 59\.6 KB and the limit is 50\.0 KB/);
  await dropFile(page, 'quality-vs-size.png', { type: 'image/png' });
  assert.equal((await preview(page)).originalWidth, 1200, 'a file under the limit is accepted');
  assert.equal(await page.getByTestId('composer-input').inputValue(), 'draft');
  await page.close();
});

test('paste from the clipboard and keyboard-only picking both attach', async () => {
  const { page } = await openWidget(browser, demo.url);
  page.on('filechooser', () => {}); // intercept file choosers from the start
  assert.equal(await pasteFile(page, 'requests-bar.jpg', 'image/jpeg'), true, 'an image paste is taken by the widget');
  let p = await preview(page);
  assert.deepEqual([p.width, p.height, p.format], [800, 500, 'image/jpeg']);

  // Keyboard only: Tab to Attach, Enter opens the file chooser.
  await page.getByTestId('composer-input').focus();
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => vcActive()?.dataset.testid), 'attach');
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
  await chooser.setFiles(fixture('revenue-by-region.png'));
  await page.waitForFunction(() => vcRoot().querySelector('[data-testid="attachment-preview"]')?.dataset.width === '990');
  assert.match(await page.locator('.vc-attach-note').textContent(), /replaced the previous image/);
  p = await preview(page);
  assert.deepEqual([p.width, p.height, p.format], [990, 550, 'image/png']);

  await page.getByTestId('remove-attachment').click();
  assert.equal(await page.getByTestId('attachment-preview').count(), 0);
  await page.close();
});

test('each turn sends exactly one image, the newest, as the preview described it', async () => {
  const { page, errors } = await openWidget(browser, demo.url);
  const input = page.getByTestId('composer-input');

  await dropFile(page, 'revenue-by-region.png', { type: 'image/png' });
  const first = await preview(page);
  await input.fill('Which region grew most?');
  let reply = await sendAndWait(page);
  assert.match(reply, new RegExp(`ImagePNG, ${first.width} × ${first.height} pixels, ${first.bytes.toLocaleString('en-US')} bytes`));
  assert.match(reply, new RegExp(`costs ${first.tokens.toLocaleString('en-US')} prompt tokens`));

  await dropFile(page, 'requests-bar.jpg', { type: 'image/jpeg' });
  const second = await preview(page);
  await input.fill('And this one?');
  reply = await sendAndWait(page);
  // The demo endpoint answers 400 to a request with two images: one went.
  assert.match(reply, new RegExp(`ImageJPEG, ${second.width} × ${second.height} pixels, ${second.bytes.toLocaleString('en-US')} bytes`));
  assert.match(reply, /Turns3 \(2 from you/);

  const figures = page.getByTestId('message-image');
  assert.equal(await figures.count(), 2);
  assert.equal(await figures.nth(0).getAttribute('data-in-context'), 'false');
  assert.equal(await figures.nth(1).getAttribute('data-in-context'), 'true');
  assert.match(await figures.nth(0).textContent(), /no longer in context/);
  assert.match(await figures.nth(1).textContent(), /the model sees this image/);

  // Click for full size; Escape closes.
  await figures.nth(1).locator('button').click();
  const viewer = page.getByTestId('image-viewer');
  await viewer.waitFor();
  const size = await viewer.locator('img').evaluate((img) => [img.naturalWidth, img.naturalHeight]);
  assert.deepEqual(size, [second.width, second.height]);
  await page.keyboard.press('Escape');
  await viewer.waitFor({ state: 'detached' });
  assert.deepEqual(errors, []);
  await page.close();
});
