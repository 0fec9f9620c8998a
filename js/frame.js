// The iframe variant's bridge (public/frame.html). The host page talks to the
// widget only through postMessage, and only from the origins listed in the
// frame's URL (`origin=…`, repeatable); this frame answers to those origins
// only, never to "*". Messages in:
//   { type: 'vision-chat:send', text }          → replies vision-chat:sent { sent }
//   { type: 'vision-chat:set-token', token }
//   { type: 'vision-chat:set-attribute', name, value }
// Messages out: vision-chat:ready, vision-chat:message { detail },
// vision-chat:error { detail }, vision-chat:sent { sent }.
import './vision-chat.js';

const params = new URLSearchParams(location.search);

/** The allowed host origins: only well-formed http(s) origins, exactly. */
export function allowedOrigins(values) {
  const origins = new Set();
  for (const value of values) {
    for (const item of value.split(/[\s,]+/)) {
      try {
        const url = new URL(item);
        if ((url.protocol === 'https:' || url.protocol === 'http:') && url.origin === item.replace(/\/$/, '')) {
          origins.add(url.origin);
        }
      } catch { /* not an origin */ }
    }
  }
  return origins;
}

const allowed = allowedOrigins(params.getAll('origin'));
const chat = document.querySelector('vision-chat');
const CONFIGURABLE = ['endpoint', 'title', 'placeholder', 'theme', 'lang', 'max-image-side'];
for (const name of CONFIGURABLE) {
  if (params.has(name)) chat.setAttribute(name, params.get(name));
}

const framed = window.parent !== window;
function tell(message) {
  if (!framed) return;
  for (const origin of allowed) window.parent.postMessage(message, origin);
}

window.addEventListener('message', (event) => {
  if (!allowed.has(event.origin) || event.source !== window.parent) return;
  const data = event.data;
  if (typeof data !== 'object' || data === null) return;
  switch (data.type) {
    case 'vision-chat:send':
      chat.send(String(data.text ?? '')).then((sent) => tell({ type: 'vision-chat:sent', sent }));
      break;
    case 'vision-chat:set-token':
      chat.setToken(typeof data.token === 'string' ? data.token : null);
      break;
    case 'vision-chat:set-attribute':
      if (CONFIGURABLE.includes(data.name)) {
        if (data.value == null) chat.removeAttribute(data.name);
        else chat.setAttribute(data.name, String(data.value));
      }
      break;
    default:
      break;
  }
});

for (const type of ['vision-chat:message', 'vision-chat:error']) {
  chat.addEventListener(type, (event) => tell({ type, detail: event.detail }));
}
chat.ready.then(() => tell({ type: 'vision-chat:ready' }));
