// Versions: the history (newest first) and the diff between two versions.

import { projects } from '../api.js';
import { ago, badge, empty, errorBox, h, loading, replace, when } from '../dom.js';

export function render(section, { id }) {
  const body = h('div', null, loading('Loading versions…'));
  replace(section,
    h('div', { class: 'tab-head' },
      h('div', null,
        h('h2', { id: 'tab-title' }, 'Versions'),
        h('p', { class: 'muted' }, 'Every generation saves a version; compare two to see what changed.'))),
    body);
  let disposed = false;
  async function load() {
    let list;
    try {
      list = await projects.versions(id);
    } catch (error) {
      if (!disposed) replace(body, errorBox(error, load));
      return;
    }
    if (disposed) return;
    if (!list.length) {
      replace(body, empty('No versions yet', 'A version is saved when a generation finishes.'));
      return;
    }
    replace(body, historyTable(list), compare(id, list));
  }
  load();
  return {
    dispose() {
      disposed = true;
    },
  };
}

function historyTable(list) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
    h('caption', { class: 'visually-hidden' }, 'Version history'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Version'),
      h('th', { scope: 'col' }, 'Checks'),
      h('th', { scope: 'col' }, 'Manifest'),
      h('th', { scope: 'col' }, 'Created'))),
    h('tbody', null, list.map((v) => h('tr', null,
      h('th', { scope: 'row', 'data-label': 'Version' }, `v${v.number}`),
      h('td', { 'data-label': 'Checks' }, v.verified ? badge('ready', 'Verified') : badge('failed', 'Failed')),
      h('td', { 'data-label': 'Manifest' }, h('code', { title: v.manifest_sha256 }, v.manifest_sha256.slice(0, 12))),
      h('td', { 'data-label': 'Created' }, h('time', { datetime: new Date(v.created_at).toISOString(), title: when(v.created_at) }, ago(v.created_at))))))));
}

function compare(id, list) {
  const box = h('section', { class: 'card', 'aria-labelledby': 'compare-title' },
    h('h3', { id: 'compare-title', class: 'card-title' }, 'Compare versions'));
  if (list.length < 2) {
    box.append(h('p', { class: 'muted' }, 'There is one version so far. A new generation of this project adds one to compare against.'));
    return box;
  }
  const select = (name, label, selected) => {
    const fieldId = `diff-${name}`;
    return h('div', { class: 'field inline' },
      h('label', { for: fieldId }, label),
      h('select', { id: fieldId, name }, list.map((v) => h('option', { value: String(v.number), selected: v.number === selected }, `v${v.number}`))));
  };
  const from = select('from', 'From', list[1].number);
  const to = select('to', 'To', list[0].number);
  const result = h('div', { class: 'diff-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'row diff-form' }, from, to, h('button', { type: 'submit', class: 'button primary' }, 'Show changes'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const a = form.elements.from.value;
    const b = form.elements.to.value;
    replace(result, loading('Comparing…'));
    try {
      const diff = await projects.diff(id, a, b);
      replace(result, diffView(diff));
    } catch (error) {
      replace(result, errorBox(error));
    }
  });
  box.append(form, result);
  return box;
}

function diffView(diff) {
  const files = diff.files ?? [];
  if (!files.length) return h('p', { class: 'muted' }, `No file differs between v${diff.from} and v${diff.to}.`);
  const labels = { added: 'added', removed: 'removed', changed: 'changed' };
  const kinds = { added: 'ready', removed: 'failed', changed: 'running' };
  return [
    h('p', { class: 'muted' }, `${files.length} file${files.length === 1 ? '' : 's'} changed from v${diff.from} to v${diff.to}.`),
    files.map((f) => h('details', { class: 'diff-file', open: files.length <= 5 },
      h('summary', null, badge(kinds[f.status] ?? 'queued', labels[f.status] ?? f.status), ' ', h('code', null, f.path)),
      h('pre', { class: 'diff', tabindex: '0', 'aria-label': `Changes in ${f.path}` }, (f.diff ?? '').split('\n').map((line) => {
        let cls = null;
        if (line.startsWith('+++') || line.startsWith('---')) cls = 'diff-meta';
        else if (line.startsWith('@@')) cls = 'diff-hunk';
        else if (line.startsWith('+')) cls = 'diff-add';
        else if (line.startsWith('-')) cls = 'diff-del';
        return [h('span', { class: cls }, line), '\n'];
      })))),
  ];
}
