// <vision-chat>: the embeddable element. Include this module once
//   <script type="module" src="https://chat.example/vision-chat.js"></script>
// and place <vision-chat></vision-chat> elements anywhere. Each renders into
// its own open shadow root; the WebAssembly module (widget.js,
// widget_bg.wasm) and the stylesheet (widget.css) load from beside this file,
// once per page. No inline script or style, no eval: it runs under
// `script-src 'self' 'wasm-unsafe-eval'; style-src 'self'`.

const base = new URL('./', import.meta.url);
let module;

/** Loads and starts the WebAssembly module, once for every element. */
function load() {
  module ??= import(new URL('widget.js', base).href).then(async (m) => {
    await m.default({ module_or_path: new URL('widget_bg.wasm', base) });
    return m;
  });
  return module;
}

const ATTRIBUTES = ['endpoint', 'title', 'placeholder', 'mode', 'theme', 'lang',
  'max-image-side', 'max-image-bytes', 'max-image-pixels'];

export class VisionChatElement extends HTMLElement {
  static observedAttributes = ATTRIBUTES;

  #widget = null;
  #started = false;
  #queue = [];
  #ready;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('link');
    style.rel = 'stylesheet';
    style.href = new URL('widget.css', base).href;
    // The host's `title` attribute must not become a tooltip over the whole widget.
    const mount = document.createElement('div');
    mount.className = 'vc-mount';
    mount.title = '';
    root.append(style, mount);
    this.#ready = new Promise((resolve, reject) => {
      this.addEventListener('vision-chat:ready', () => resolve(this), { once: true });
      this.addEventListener('vision-chat:failed', (e) => reject(e.detail), { once: true });
    });
    this.#ready.catch(() => {});
  }

  connectedCallback() {
    if (this.#started) return;
    this.#started = true;
    load().then((m) => {
      this.#widget = new m.Widget(this, this.shadowRoot.querySelector('.vc-mount'));
      for (const call of this.#queue.splice(0)) call(this.#widget);
      this.dispatchEvent(new CustomEvent('vision-chat:ready', { bubbles: true, composed: true }));
    }).catch((error) => {
      console.error('vision-chat: the widget could not start', error);
      this.dispatchEvent(new CustomEvent('vision-chat:failed', { detail: error }));
    });
  }

  attributeChangedCallback(name, _old, value) {
    this.#widget?.attribute_changed(name, value);
  }

  /** Resolves with the element once its widget is running. */
  get ready() { return this.#ready; }

  /** Opens the launcher's panel. */
  open() { this.#call((w) => w.open()); }

  /** Closes the launcher's panel. */
  close() { this.#call((w) => w.close()); }

  /**
   * Sends `text` (with the image attached in the composer, if any). Resolves
   * with false, sending nothing, while an answer is streaming.
   */
  send(text) { return this.#call((w) => w.send(String(text ?? ''))); }

  /** A bearer token for direct mode; null takes it back. */
  setToken(token) { this.#call((w) => w.set_token(token == null ? null : String(token))); }

  #call(f) {
    if (this.#widget) return Promise.resolve(f(this.#widget));
    return new Promise((resolve) => this.#queue.push((w) => resolve(f(w))));
  }
}

if (!customElements.get('vision-chat')) customElements.define('vision-chat', VisionChatElement);
