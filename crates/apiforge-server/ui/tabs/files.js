// Files: the version's file tree and a viewer with syntax highlighting.

import { projects } from '../api.js';
import { bytes, copyButton, empty, errorBox, h, loading, replace } from '../dom.js';
import { highlight, languageOf } from '../syntax.js';

const PREFERRED = ['app/main.py', 'README.md', 'openapi.yaml'];

export function render(section, { id, version }) {
  const tree = h('nav', { class: 'file-tree', 'aria-label': 'Project files' }, loading('Loading files…'));
  const viewer = h('div', { class: 'file-viewer' });
  replace(section,
    h('div', { class: 'tab-head' },
      h('div', null,
        h('h2', { id: 'tab-title' }, 'Files'),
        h('p', { class: 'muted' }, `The generated project, version ${version}.`))),
    h('div', { class: 'files-layout' }, tree, viewer));

  let disposed = false;
  let selected = null;
  let list = [];
  let run = 0;

  async function open(path) {
    const file = list.find((f) => f.path === path);
    if (!file) return;
    selected = path;
    for (const button of tree.querySelectorAll('button[data-path]')) {
      if (button.dataset.path === path) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    }
    const mine = ++run;
    replace(viewer, loading(`Opening ${path}…`));
    try {
      const text = await projects.file(id, path, version);
      if (disposed || mine !== run) return;
      const language = languageOf(path);
      replace(viewer,
        h('div', { class: 'viewer-head' },
          h('h3', { class: 'viewer-path' }, path),
          h('span', { class: 'muted small' }, `${bytes(file.size)} · ${language}${file.ownership === 'user' ? ' · yours to edit' : ''}`),
          copyButton(text, 'Copy')),
        highlight(text, language, `Contents of ${path}`));
    } catch (error) {
      if (!disposed && mine === run) replace(viewer, errorBox(error, () => open(path)));
    }
  }

  async function load() {
    try {
      list = await projects.files(id, version);
    } catch (error) {
      if (!disposed) replace(tree, errorBox(error, load));
      return;
    }
    if (disposed) return;
    if (!list.length) {
      replace(tree, empty('No files', 'This version has no files.'));
      return;
    }
    replace(tree, treeOf(list, open));
    const first = PREFERRED.find((p) => list.some((f) => f.path === p)) ?? list[0].path;
    open(selected ?? first);
  }
  load();
  return {
    dispose() {
      disposed = true;
    },
  };
}

/** Nested lists: folders as <details> (open), files as buttons. */
function treeOf(list, open) {
  const root = { dirs: new Map(), files: [] };
  for (const file of list) {
    const parts = file.path.split('/');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      if (!node.dirs.has(part)) node.dirs.set(part, { dirs: new Map(), files: [] });
      node = node.dirs.get(part);
    }
    node.files.push({ name: parts.at(-1), path: file.path });
  }
  const listOf = (node) => h('ul', null,
    [...node.dirs.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, child]) => h('li', null,
      h('details', { open: true },
        h('summary', null, h('span', { class: 'folder-name' }, `${name}/`)),
        listOf(child)))),
    node.files.sort((a, b) => a.name.localeCompare(b.name)).map((f) => h('li', null,
      h('button', { type: 'button', class: 'file-button', 'data-path': f.path, title: f.path, onclick: () => open(f.path) }, f.name))));
  return listOf(root);
}
