// Preview: the live API running in the sandbox behind /p/{project}/, its Swagger UI in a
// frame ("Try it out" calls the live API), and the token when the API has auth.

import { projects } from '../api.js';
import { copyButton, errorBox, h, loading, replace } from '../dom.js';

export function render(section, { id, project }) {
  const body = h('div', null, loading('Starting the live preview… (a few seconds the first time)'));
  replace(section,
    h('div', { class: 'tab-head' },
      h('div', null,
        h('h2', { id: 'tab-title' }, 'Preview'),
        h('p', { class: 'muted' }, 'The generated API, running live in the sandbox. Use “Try it out” on any operation.'))),
    body);
  let disposed = false;
  async function load() {
    replace(body, loading('Starting the live preview… (a few seconds the first time)'));
    let info;
    try {
      info = await projects.preview(id);
    } catch (error) {
      if (disposed) return;
      replace(body, error.status === 409
        ? h('div', { class: 'notice notice-warn', role: 'status' },
          h('p', { class: 'notice-title' }, 'No live preview for this version'),
          h('p', null, error.problem?.detail ?? error.message),
          h('p', null, h('a', { href: `/projects/${encodeURIComponent(id)}/tests` }, 'See the test report')))
        : errorBox(error, load));
      return;
    }
    if (disposed) return;
    const base = new URL(info.path, location.origin).href;
    const rows = [
      h('div', { class: 'kv' },
        h('span', { class: 'kv-key', id: 'preview-url-label' }, 'Base URL'),
        h('code', { class: 'kv-value', 'aria-labelledby': 'preview-url-label' }, base),
        copyButton(base, 'Copy URL')),
    ];
    if (info.token) {
      rows.push(h('div', { class: 'kv' },
        h('span', { class: 'kv-key', id: 'preview-token-label' }, 'Bearer token'),
        h('code', { class: 'kv-value token', 'aria-labelledby': 'preview-token-label' }, info.token),
        copyButton(info.token, 'Copy token')));
      rows.push(h('p', { class: 'hint' },
        'This API has authentication: the token is valid for every role of this preview. Click “Authorize” in the docs below and paste it. Outside the browser, also send your forge token as X-Apiforge-Token.'));
    }
    replace(body,
      h('div', { class: 'card preview-info' },
        rows,
        h('p', { class: 'row' },
          h('a', { href: info.docs, target: '_blank', rel: 'noopener', class: 'button' }, 'Open the docs in a new tab'),
          h('span', { class: 'muted small' }, `Version ${info.version} · ${project.name}`))),
      h('iframe', {
        class: 'preview-frame', src: info.docs, title: `Live API documentation of ${project.name}`,
        loading: 'lazy', referrerpolicy: 'same-origin',
      }));
  }
  load();
  return {
    dispose() {
      disposed = true;
    },
  };
}
