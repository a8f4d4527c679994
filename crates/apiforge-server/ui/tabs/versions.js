// Versions: the history (newest first) and what changed between two versions (the latest
// two to start with): the changed files with their status and line counts, and the unified
// diff of the chosen file with the line numbers of both versions.

import { projects } from '../api.js';
import { ago, badge, empty, errorBox, h, loading, replace, when } from '../dom.js';
import { STATUS, counts, fileDiff, lineCounts } from '../diff.js';

// Shown first: the contract, which the code and the tests follow.
const PREFERRED = ['openapi.yaml', 'openapi.json', 'app/models.py'];

export function render(section, { id, project }) {
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
    // Newest first, whatever order the server sends.
    list = [...list].sort((a, b) => b.number - a.number);
    if (!list.length) {
      replace(body, empty('No versions yet', 'A version is saved when a generation finishes.'));
      return;
    }
    replace(body, historyTable(list, project?.current_version), compare(id, list, () => disposed));
  }
  load();
  return {
    dispose() {
      disposed = true;
    },
  };
}

function historyTable(list, current) {
  // Explicit roles: on a narrow screen the rows are laid out as blocks, and stay a table.
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table versions-table', role: 'table' },
    h('caption', { class: 'visually-hidden' }, 'Version history'),
    h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' },
      h('th', { scope: 'col', role: 'columnheader' }, 'Version'),
      h('th', { scope: 'col', role: 'columnheader' }, 'Checks'),
      h('th', { scope: 'col', role: 'columnheader' }, 'Manifest'),
      h('th', { scope: 'col', role: 'columnheader' }, 'Created'))),
    h('tbody', { role: 'rowgroup' }, list.map((v) => h('tr', { role: 'row', 'aria-current': v.number === current ? 'true' : null },
      h('th', { scope: 'row', role: 'rowheader', 'data-label': 'Version' }, `v${v.number}`,
        v.number === current && h('span', { class: 'current-tag' }, 'current')),
      h('td', { role: 'cell', 'data-label': 'Checks' }, v.verified ? badge('ready', 'Verified') : badge('failed', 'Failed')),
      h('td', { role: 'cell', 'data-label': 'Manifest' }, h('code', { title: v.manifest_sha256 }, v.manifest_sha256.slice(0, 12))),
      h('td', { role: 'cell', 'data-label': 'Created' }, h('time', { datetime: new Date(v.created_at).toISOString(), title: when(v.created_at) }, ago(v.created_at))))))));
}

function compare(id, list, gone) {
  const box = h('section', { class: 'card compare', 'aria-labelledby': 'compare-title' },
    h('h3', { id: 'compare-title', class: 'card-title' }, 'Compare versions'));
  if (list.length < 2) {
    box.append(h('p', { class: 'muted compare-empty' }, 'There is one version so far. Edit the description or regenerate, and the new version can be compared with this one here.'));
    return box;
  }
  const select = (name, label, selected) => {
    const fieldId = `diff-${name}`;
    return h('div', { class: 'field inline' },
      h('label', { for: fieldId }, label),
      h('select', { id: fieldId, name }, list.map((v) => h('option', { value: String(v.number), selected: v.number === selected }, `v${v.number}`))));
  };
  const announce = h('p', { class: 'visually-hidden', role: 'status' });
  const result = h('div', { class: 'diff-result' });
  const form = h('form', { class: 'row diff-form' },
    select('from', 'From', list[1].number),
    select('to', 'To', list[0].number),
    h('button', { type: 'submit', class: 'button' }, 'Show changes'));
  let run = 0;
  async function show(a, b) {
    const mine = ++run;
    if (a === b) {
      replace(result, h('p', { class: 'muted' }, 'Pick two different versions to compare.'));
      return;
    }
    replace(result, loading(`Comparing v${a} with v${b}…`));
    try {
      const diff = await projects.diff(id, a, b);
      if (gone() || mine !== run) return;
      const view = diffView(diff);
      replace(result, view.el);
      announce.textContent = view.summary;
    } catch (error) {
      if (!gone() && mine === run) replace(result, errorBox(error, () => show(a, b)));
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    show(Number(form.elements.from.value), Number(form.elements.to.value));
  });
  box.append(form, announce, result);
  show(list[1].number, list[0].number);
  return box;
}

/** The changed files (a list to pick from) and the chosen file's diff. */
function diffView(diff) {
  const files = diff.files ?? [];
  if (!files.length) {
    const summary = `No file differs between v${diff.from} and v${diff.to}.`;
    return { el: h('p', { class: 'muted' }, summary), summary };
  }
  const stats = new Map(files.map((f) => [f.path, counts(f.diff)]));
  const by = (status) => files.filter((f) => f.status === status).length;
  const parts = ['changed', 'added', 'removed'].filter((s) => by(s)).map((s) => `${by(s)} ${s}`);
  let added = 0;
  let removed = 0;
  for (const s of stats.values()) {
    added += s.added;
    removed += s.removed;
  }
  const summary = `${files.length} file${files.length === 1 ? '' : 's'} differ from v${diff.from} to v${diff.to}: ${parts.join(', ')}.`;

  const viewer = h('div', { class: 'diff-viewer' });
  const buttons = [];
  let list = null;
  const open = (path) => {
    const file = files.find((f) => f.path === path);
    for (const button of buttons) {
      if (button.dataset.path === path) {
        button.setAttribute('aria-current', 'true');
        // Keep the chosen file in sight in the list (without scrolling the page).
        if (list && list.isConnected) {
          const top = button.offsetTop - list.offsetTop;
          if (top < list.scrollTop || top + button.offsetHeight > list.scrollTop + list.clientHeight) {
            list.scrollTop = Math.max(0, top - list.clientHeight / 3);
          }
        }
      } else {
        button.removeAttribute('aria-current');
      }
    }
    replace(viewer, fileDiff(file, { from: `v${diff.from}`, to: `v${diff.to}`, stat: stats.get(path) }));
  };
  list = h('nav', { class: 'diff-files', 'aria-label': 'Changed files' },
    h('ul', null, files.map((f) => {
      const slash = f.path.lastIndexOf('/');
      const s = STATUS[f.status] ?? { label: f.status, letter: '?' };
      const button = h('button', {
        type: 'button', class: 'diff-file-button', 'data-path': f.path, 'data-status': f.status, title: `${f.path} (${s.label})`,
        onclick: () => open(f.path),
      },
      h('span', { class: `diff-status diff-status-${f.status}`, 'aria-hidden': 'true' }, s.letter),
      h('span', { class: 'visually-hidden' }, `${s.label}: `),
      h('span', { class: 'diff-file-name' },
        // A line may break after each folder, not inside a name.
        slash >= 0 && h('span', { class: 'diff-file-dir' },
          f.path.slice(0, slash + 1).split('/').slice(0, -1).map((part) => [`${part}/`, h('wbr')])),
        f.path.slice(slash + 1)),
      lineCounts(stats.get(f.path)));
      buttons.push(button);
      return h('li', null, button);
    })));
  const first = PREFERRED.find((p) => stats.has(p)) ?? files[0].path;
  const el = [
    h('p', { class: 'diff-summary' },
      h('strong', null, `${files.length} file${files.length === 1 ? '' : 's'}`),
      ` differ from v${diff.from} to v${diff.to}: ${parts.join(', ')}. Lines: `,
      lineCounts({ added, removed })),
    h('div', { class: 'diff-layout' }, list, viewer),
  ];
  open(first);
  // Once in the page, bring the chosen file into the list's view.
  requestAnimationFrame(() => open(first));
  return { summary, el };
}
