// Building DOM nodes without innerHTML: every text from the server is set as text, never
// parsed as markup.

/**
 * h('a', {href: '/', class: 'x', onclick: fn}, 'text', child, [more]) → an element.
 * Attributes that are null, undefined or false are left out; true sets an empty attribute.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'value' && 'value' in el) el.value = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children (nodes, strings, numbers, nested arrays; null and false are skipped). */
export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let uid = 0;
/** A fresh id for label/aria wiring. */
export function id(prefix = 'id') {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** "3 s ago", "5 min ago", or a date, for a millisecond timestamp. */
export function ago(ms) {
  if (!ms) return '';
  const seconds = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(ms).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** An absolute date and time for a title attribute. */
export function when(ms) {
  return ms ? new Date(ms).toLocaleString() : '';
}

/** "840 ms", "12.3 s", "2 min 05 s". */
export function duration(ms) {
  if (ms == null || Number.isNaN(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60000);
  const seconds = Math.floor((ms % 60000) / 1000);
  return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
}

/** A count with thousands separators: 1834 → "1,834" (null: "0"). */
export function count(n) {
  return Number(n ?? 0).toLocaleString('en-US');
}

/** "1.2 kB". */
export function bytes(n) {
  if (n == null) return '';
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1000).toFixed(1)} kB`;
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** A status badge: ready, running, queued, failed, dead… */
export function badge(status, label = status) {
  return h('span', { class: `badge badge-${status}` }, label);
}

/** A button that copies `text()` and says so. */
export function copyButton(text, label = 'Copy') {
  const button = h('button', { type: 'button', class: 'button small' }, label);
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(typeof text === 'function' ? text() : text);
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Copy failed: select the text';
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  });
  return button;
}

/** An error box for an ApiError (or any error), with an optional retry action. */
export function errorBox(error, retry) {
  const title = error?.problem?.title || 'Something went wrong';
  const detail = error?.problem?.detail || error?.message || String(error);
  return h('div', { class: 'notice notice-error', role: 'alert' },
    h('p', { class: 'notice-title' }, title),
    h('p', null, detail),
    retry && h('button', { type: 'button', class: 'button', onclick: retry }, 'Try again'));
}

/** A loading line for a region still being fetched. */
export function loading(text = 'Loading…') {
  return h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

/** An empty state: a title, a line, an optional action. */
export function empty(title, text, action) {
  return h('div', { class: 'empty' }, h('p', { class: 'empty-title' }, title), text && h('p', null, text), action);
}

// A message for the next page (after a navigation: "Deleted …" on the dashboard).
let flashMessage = null;

/** Leaves a message for the next page to show once. */
export function setFlash(text) {
  flashMessage = text;
}

/** The message left for this page, once; null when there is none. */
export function takeFlash() {
  const text = flashMessage;
  flashMessage = null;
  return text;
}
