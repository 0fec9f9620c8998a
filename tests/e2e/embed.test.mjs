// Embedding: the <vision-chat> element on the example intranet page (hostile
// global CSS, the strict CSP), its attributes, JS API and events, the
// launcher, and the iframe variant's origin checks — against the real proxy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startProxy, launchBrowser } from './harness.mjs';

const CHART = fileURLToPath(new URL('../fixtures/images/revenue-by-region.png', import.meta.url));
const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'";

let browser;
let proxy;
let hostA; // an intranet origin allowed to frame the widget and talk to it
let hostB; // allowed to frame it, but not named in the frame's URL
let hostC; // not allowed to frame it at all

/** A site on another origin: `/?frame=URL` frames the widget; `/embed?widget=URL`
 *  embeds the element from the widget's origin, as an intranet page would. */
async function startHostSite() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://host');
    const attr = (name) => (url.searchParams.get(name) ?? '').replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
    res.setHeader('content-type', 'text/html');
    if (url.pathname === '/embed') {
      res.end(`<!doctype html><title>host</title><script type="module" src="${attr('widget')}/vision-chat.js"></script>
        <vision-chat endpoint="${attr('widget')}/api" style="display:block;height:520px"></vision-chat>`);
      return;
    }
    res.end(`<!doctype html><title>host</title><iframe id="chat" src="${attr('frame')}" width="640" height="560"></iframe>`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

before(async () => {
  [hostA, hostB, hostC] = await Promise.all([startHostSite(), startHostSite(), startHostSite()]);
  proxy = await startProxy({ demoDelayMs: 15, args: ['--allow-origin', hostA.origin, '--allow-origin', hostB.origin] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await proxy?.stop();
  for (const h of [hostA, hostB, hostC]) h?.server.close();
});

/** The example host page, recording CSP violations and errors from the very start. */
async function openExample({ block } = {}) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    }, true);
  });
  if (block) await page.route(`**/${block}`, (route) => route.abort());
  const response = await page.goto(`${proxy.url}/embed-example.html`);
  return { page, errors, response };
}

const inline = (page) => page.locator('#inline-chat');
const launcher = (page) => page.locator('#help-launcher');

async function ask(scope, text) {
  await scope.getByTestId('composer-input').fill(text);
  await scope.getByTestId('composer-input').press('Enter');
}

test('the example host page runs both widgets under its strict CSP with no violation', async () => {
  const { page, errors, response } = await openExample();
  assert.match(response.headers()['content-security-policy'], /frame-ancestors 'self'/);
  assert.match(await page.content(), new RegExp(STRICT_CSP.replace(/[*]/g, '\\$&')));
  await inline(page).getByTestId('model-name').waitFor();
  await launcher(page).getByTestId('launcher').click();
  await launcher(page).getByTestId('model-name').waitFor();
  await ask(inline(page), 'Inline question');
  await inline(page).getByTestId('usage').waitFor({ timeout: 20000 });
  assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
  assert.deepEqual(errors, []);

  // The policy is in force (so "no violation" means something): an inline script is refused.
  const ran = await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.inlineRan = true';
    document.head.append(s);
    return window.inlineRan === true;
  });
  assert.equal(ran, false);
  // Both policies (the proxy's header and the page's meta) report it.
  await page.waitForFunction(() => window.cspViolations.length >= 1);
  await page.close();
});

const WIDGET_PARTS = {
  root: '.vc',
  title: '.vc-title',
  header: '.vc-header',
  log: '.vc-log',
  input: '[data-testid="composer-input"]',
  send: '[data-testid="send"]',
  attach: '[data-testid="attach"]',
};
const PROPS = ['font-family', 'font-size', 'font-weight', 'line-height', 'letter-spacing', 'text-transform',
  'text-indent', 'box-sizing', 'margin-top', 'padding-top', 'padding-left', 'border-top-width', 'border-top-style',
  'border-top-color', 'background-color', 'color', 'border-top-left-radius'];

function widgetStyles(page, index) {
  return page.evaluate(({ parts, props, index }) => {
    const root = document.querySelectorAll('vision-chat')[index].shadowRoot;
    return Object.fromEntries(Object.entries(parts).map(([name, selector]) => {
      const style = getComputedStyle(root.querySelector(selector));
      return [name, Object.fromEntries(props.map((p) => [p, style.getPropertyValue(p)]))];
    }));
  }, { parts: WIDGET_PARTS, props: PROPS, index });
}

test("the host's global CSS does not reach the widget", async () => {
  // The same widget on the stand-alone page (no hostile CSS), light theme both.
  const plain = await browser.newPage();
  await plain.goto(proxy.url);
  await plain.getByTestId('model-name').waitFor();
  const expected = await widgetStyles(plain, 0);
  await plain.close();

  const { page } = await openExample();
  await inline(page).getByTestId('model-name').waitFor();
  const actual = await widgetStyles(page, 0);
  assert.deepEqual(actual, expected);
  assert.notEqual(actual.root['font-family'], 'serif', 'the host forces serif on everything');
  assert.equal(actual.root['box-sizing'], 'border-box');
  await page.close();
});

test("the widget's styles do not reach the host page", async () => {
  const hostStyles = (page) => page.evaluate((props) => Object.fromEntries(
    ['#host-button', '#host-div', '#host-text', 'body', '.intranet-bar'].map((sel) => {
      const style = getComputedStyle(document.querySelector(sel));
      return [sel, Object.fromEntries(props.map((p) => [p, style.getPropertyValue(p)]))];
    })), PROPS);
  const bare = await openExample({ block: 'vision-chat.js' });
  await bare.page.waitForLoadState('load');
  const before = await hostStyles(bare.page);
  await bare.page.close();

  const { page } = await openExample();
  await inline(page).getByTestId('model-name').waitFor();
  await launcher(page).getByTestId('launcher').click();
  await launcher(page).getByTestId('model-name').waitFor();
  assert.deepEqual(await hostStyles(page), before);
  assert.equal(before['#host-button']['background-color'], 'rgb(255, 0, 170)', 'the host\'s own rules apply');
  await page.close();
});

test('a host themes the widget with custom properties and ::part', async () => {
  // The host's own stylesheet (injected inline here, so without the CSP).
  const page = await browser.newPage({ bypassCSP: true });
  await page.goto(proxy.url);
  await page.getByTestId('model-name').waitFor();
  await page.addStyleTag({ content: `
    vision-chat { --vc-accent: rgb(122, 31, 162); --vc-radius: 3px; --vc-font: monospace; }
    vision-chat::part(title) { text-transform: uppercase; }
    vision-chat .vc-title { color: rgb(255, 0, 0); }` });
  const style = (testid, prop) => page.getByTestId(testid).evaluate((el, p) => getComputedStyle(el).getPropertyValue(p), prop);
  await page.getByTestId('composer-input').fill('themed');
  assert.equal(await style('send', 'background-color'), 'rgb(122, 31, 162)');
  assert.equal(await style('send', 'border-top-left-radius'), '2px', 'radius / 1.5');
  assert.match(await style('composer-input', 'font-family'), /monospace/);
  assert.equal(await style('title', 'text-transform'), 'uppercase', '::part reaches the title');
  assert.notEqual(await style('title', 'color'), 'rgb(255, 0, 0)', 'ordinary selectors do not reach in');
  await page.close();
});

test('the two instances chat independently', async () => {
  const { page, errors } = await openExample();
  await inline(page).getByTestId('model-name').waitFor();
  await ask(inline(page), 'First, inline');
  await inline(page).getByTestId('usage').waitFor({ timeout: 20000 });

  await launcher(page).getByTestId('launcher').click();
  assert.equal(await launcher(page).getByTestId('message').count(), 0, 'the launcher has its own conversation');
  await ask(launcher(page), 'Second, in the launcher');
  await launcher(page).getByTestId('usage').waitFor({ timeout: 20000 });
  assert.equal(await launcher(page).getByTestId('message').count(), 2);
  assert.equal(await inline(page).getByTestId('message').count(), 2);
  assert.equal(await inline(page).locator('[data-role="user"] [data-testid="message-content"]').textContent(), 'First, inline');
  assert.equal(await launcher(page).locator('[data-role="user"] [data-testid="message-content"]').textContent(), 'Second, in the launcher');

  // A draft in one is not a draft in the other.
  await inline(page).getByTestId('composer-input').fill('only inline');
  assert.equal(await launcher(page).getByTestId('composer-input').inputValue(), '');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the launcher opens and closes by mouse and by keyboard, and remembers', async () => {
  const { page } = await openExample();
  const button = launcher(page).getByTestId('launcher');
  const panel = launcher(page).getByTestId('drop-zone');
  await button.waitFor();
  assert.equal(await panel.isVisible(), false, 'closed at first');
  assert.equal(await button.getAttribute('aria-expanded'), 'false');

  // Mouse.
  await button.click();
  await panel.waitFor({ state: 'visible' });
  assert.equal(await button.getAttribute('aria-expanded'), 'true');
  // The panel floats above the button, in the bottom-right corner, all on screen.
  const viewport = page.viewportSize();
  const [box, buttonBox] = [await panel.boundingBox(), await button.boundingBox()];
  assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= viewport.width && box.y + box.height <= viewport.height, JSON.stringify(box));
  assert.ok(Math.abs(box.x + box.width - (buttonBox.x + buttonBox.width)) < 2, 'right edges aligned');
  assert.ok(box.y + box.height < buttonBox.y, 'above the button');
  await page.waitForFunction(() => vcActive()?.dataset.testid === 'composer-input');
  await launcher(page).getByTestId('close').click();
  await panel.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => vcActive()?.dataset.testid), 'launcher', 'focus goes back to the button');

  // Keyboard: Enter opens, Escape closes, focus returns.
  await page.keyboard.press('Enter');
  await panel.waitFor({ state: 'visible' });
  await page.waitForFunction(() => vcActive()?.dataset.testid === 'composer-input');
  await page.keyboard.type('kept draft');
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => vcActive()?.dataset.testid), 'launcher');
  await page.keyboard.press('Space');
  await panel.waitFor({ state: 'visible' });
  assert.equal(await launcher(page).getByTestId('composer-input').inputValue(), 'kept draft', 'closing loses nothing');

  // Remembered across a reload (per element id), and the inline instance has no launcher.
  await page.reload();
  await launcher(page).getByTestId('model-name').waitFor();
  assert.equal(await panel.isVisible(), true, 'still open after a reload');
  assert.equal(await inline(page).getByTestId('launcher').count(), 0);
  await launcher(page).getByTestId('close').click();
  await page.reload();
  await button.waitFor();
  assert.equal(await panel.isVisible(), false, 'still closed after a reload');
  await page.close();
});

test('attribute changes after start-up take effect', async () => {
  const { page } = await openExample();
  const chat = inline(page);
  await chat.getByTestId('model-name').waitFor();
  const set = (name, value) => page.evaluate(([n, v]) => {
    const el = document.getElementById('inline-chat');
    if (v === null) el.removeAttribute(n); else el.setAttribute(n, v);
  }, [name, value]);

  assert.equal(await chat.getByTestId('title').textContent(), 'Chart assistant');
  await set('title', 'Revenue helper');
  assert.equal(await chat.getByTestId('title').textContent(), 'Revenue helper');
  assert.equal(await chat.getByTestId('drop-zone').getAttribute('aria-label'), 'Revenue helper');
  await set('title', null);
  assert.equal(await chat.getByTestId('title').textContent(), 'Vision chat');

  await set('placeholder', 'Type here');
  assert.equal(await chat.getByTestId('composer-input').getAttribute('placeholder'), 'Type here');

  const background = () => chat.locator('.vc').evaluate((el) => getComputedStyle(el).backgroundColor);
  const light = await background();
  await set('theme', 'dark');
  const dark = await background();
  assert.notEqual(dark, light);
  await set('theme', 'light');
  assert.equal(await background(), light);

  // A new language rebuilds the views; what the person typed stays.
  await chat.getByTestId('composer-input').fill('draft survives');
  await set('lang', 'en-GB');
  assert.equal(await chat.getByTestId('drop-zone').getAttribute('lang'), 'en-GB');
  assert.equal(await chat.getByTestId('composer-input').inputValue(), 'draft survives');

  // Images are sent at the host's longest side (the chart is 990 × 550).
  await set('max-image-side', '500');
  await chat.getByTestId('file-input').setInputFiles(CHART);
  const preview = chat.getByTestId('attachment-preview');
  await preview.waitFor();
  assert.deepEqual([await preview.getAttribute('data-width'), await preview.getAttribute('data-height')], ['500', '278']);
  await chat.getByTestId('remove-attachment').click();

  // Another endpoint: the header asks it (and says it is not there).
  await set('endpoint', '/no-such-api');
  await chat.locator('.vc-unknown').waitFor();
  await set('endpoint', null);
  await chat.getByText('vision-chat-demo').waitFor();

  // Inline → launcher and back.
  await set('mode', 'launcher');
  await chat.getByTestId('launcher').waitFor();
  assert.equal(await chat.getByTestId('drop-zone').isVisible(), false);
  await set('mode', 'inline');
  await chat.getByTestId('drop-zone').waitFor({ state: 'visible' });
  assert.equal(await chat.getByTestId('launcher').count(), 0);
  await page.close();
});

test('the JavaScript API and the events, with usage', async () => {
  const { page } = await openExample();
  await page.evaluate(() => {
    window.heard = [];
    for (const type of ['vision-chat:message', 'vision-chat:error']) {
      document.addEventListener(type, (e) => window.heard.push({ type, id: e.target.id, detail: e.detail }));
    }
  });
  // open() / close() on the launcher.
  await page.evaluate(() => document.getElementById('help-launcher').open());
  await launcher(page).getByTestId('drop-zone').waitFor({ state: 'visible' });
  await page.evaluate(() => document.getElementById('help-launcher').close());
  await launcher(page).getByTestId('drop-zone').waitFor({ state: 'hidden' });

  // send(): the message goes, a second one while streaming is refused.
  const results = await page.evaluate(async () => {
    const el = document.getElementById('inline-chat');
    await el.ready;
    return [await el.send('Sent by the host page'), await el.send('Too soon')];
  });
  assert.deepEqual(results, [true, false]);
  await inline(page).getByTestId('usage').waitFor({ timeout: 20000 });
  assert.equal(await inline(page).locator('[data-role="user"] [data-testid="message-content"]').textContent(), 'Sent by the host page');
  await page.waitForFunction(() => window.heard.length === 1);
  const [message] = await page.evaluate(() => window.heard);
  assert.equal(message.type, 'vision-chat:message');
  assert.equal(message.id, 'inline-chat');
  assert.equal(message.detail.state, 'complete');
  assert.equal(message.detail.finish_reason, 'stop');
  const shown = await inline(page).getByTestId('usage').getAttribute('data-total-tokens');
  assert.equal(message.detail.usage.total_tokens, Number(shown));
  assert.ok(message.detail.usage.prompt_tokens > 0);
  // The answer as the model wrote it (markdown), not as rendered.
  assert.match(message.detail.text, /^This is the \*\*vision-chat demo endpoint\*\*/);
  assert.match(message.detail.text, /\| Your last message \| "Sent by the host page"/);

  // vision-chat:error, and the draft survives.
  await page.evaluate(() => document.getElementById('inline-chat').setAttribute('endpoint', '/no-such-api'));
  assert.equal(await page.evaluate(() => document.getElementById('inline-chat').send('Lost?')), true);
  await page.waitForFunction(() => window.heard.length === 2);
  const error = (await page.evaluate(() => window.heard))[1];
  assert.equal(error.type, 'vision-chat:error');
  assert.ok(error.detail.status >= 400, JSON.stringify(error.detail));
  assert.equal(error.detail.message, await inline(page).locator('.vc-error-headline').textContent(), 'what the widget shows');
  assert.equal(await inline(page).getByTestId('composer-input').inputValue(), 'Lost?');
  await page.close();
});

test('a page on another (allowed) origin embeds the element from the proxy and chats', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${hostA.origin}/embed?widget=${encodeURIComponent(proxy.url)}`);
  await page.getByTestId('model-name').waitFor();
  await ask(page, 'Cross-origin question');
  await page.getByTestId('usage').waitFor({ timeout: 20000 });
  assert.deepEqual(errors, []);
  await page.close();

  // A site the proxy does not list gets neither the module nor the API.
  const other = await browser.newPage();
  const failures = [];
  other.on('console', (m) => { if (m.type() === 'error') failures.push(m.text()); });
  await other.goto(`${hostC.origin}/embed?widget=${encodeURIComponent(proxy.url)}`);
  await other.waitForTimeout(1000);
  assert.equal(await other.getByTestId('model-name').count(), 0);
  assert.ok(failures.some((f) => /CORS/.test(f)), failures.join('\n'));
  await other.close();
});

/** A host page on `host`'s origin framing the widget; records messages it receives. */
async function openFramed(host, allowed) {
  const page = await browser.newPage();
  await page.addInitScript(() => {
    if (window.top !== window) return;
    window.received = [];
    addEventListener('message', (e) => window.received.push({ origin: e.origin, data: e.data }));
  });
  const frame = `${proxy.url}/frame.html?${allowed.map((o) => `origin=${encodeURIComponent(o)}`).join('&')}&title=Framed`;
  const chatRequests = [];
  page.on('request', (r) => { if (r.url().includes('/api/chat/completions')) chatRequests.push(r.url()); });
  await page.goto(`${host.origin}/?frame=${encodeURIComponent(frame)}`);
  return { page, chatRequests, frame: page.frameLocator('#chat') };
}

const post = (page, message) => page.evaluate(([m, origin]) => {
  document.getElementById('chat').contentWindow.postMessage(m, origin);
}, [message, new URL(proxy.url).origin]);

test('the iframe variant talks to an allowed host by postMessage', async () => {
  const { page, frame } = await openFramed(hostA, [hostA.origin]);
  await frame.getByTestId('model-name').waitFor();
  assert.equal(await frame.getByTestId('title').textContent(), 'Framed', 'configured from the URL');
  await page.waitForFunction(() => window.received.some((m) => m.data.type === 'vision-chat:ready'));
  await post(page, { type: 'vision-chat:send', text: 'From the host, by message' });
  await page.waitForFunction(() => window.received.some((m) => m.data.type === 'vision-chat:message'), null, { timeout: 20000 });
  const received = await page.evaluate(() => window.received);
  const proxyOrigin = new URL(proxy.url).origin;
  assert.ok(received.every((m) => m.origin === proxyOrigin));
  assert.deepEqual(received.find((m) => m.data.type === 'vision-chat:sent').data, { type: 'vision-chat:sent', sent: true });
  const message = received.find((m) => m.data.type === 'vision-chat:message').data.detail;
  assert.ok(message.usage.total_tokens > 0);
  assert.equal(await frame.locator('[data-role="user"] [data-testid="message-content"]').textContent(), 'From the host, by message');
  await page.close();
});

test('the iframe variant ignores messages from an origin not on its list', async () => {
  // hostB may frame the widget (the proxy allows it) but the frame's URL names only hostA.
  const { page, frame, chatRequests } = await openFramed(hostB, [hostA.origin]);
  await frame.getByTestId('model-name').waitFor();
  await post(page, { type: 'vision-chat:send', text: 'Not from an allowed origin' });
  await post(page, { type: 'vision-chat:set-attribute', name: 'title', value: 'Hijacked' });
  await page.waitForTimeout(1500);
  assert.equal(await frame.getByTestId('message').count(), 0, 'nothing was sent');
  assert.deepEqual(chatRequests, []);
  assert.equal(await frame.getByTestId('title').textContent(), 'Framed');
  assert.deepEqual(await page.evaluate(() => window.received), [], 'and nothing was told to this page');
  await page.close();
});

test('a site the proxy does not allow cannot frame the widget at all', async () => {
  const { page } = await openFramed(hostC, [hostC.origin]);
  await page.waitForTimeout(1000);
  const frame = page.frames()[1];
  const framed = await frame.evaluate(() => Boolean(document.querySelector('vision-chat'))).catch(() => false);
  assert.equal(framed, false, `frame-ancestors refused the framing (${frame.url()})`);
  assert.deepEqual(await page.evaluate(() => window.received), []);
  await page.close();
});
