// The dashboard: your projects with their status, newest first; refreshes itself while a
// project is still generating.

import { projects } from '../api.js';
import { ago, badge, empty, errorBox, h, loading, replace, takeFlash, when } from '../dom.js';

export const STATUS_LABELS = {
  queued: 'Queued', running: 'Generating', ready: 'Ready', failed: 'Failed',
};

export async function render(main, ctx) {
  ctx.title('Projects');
  const body = h('div', { class: 'dashboard-body' }, loading('Loading your projects…'));
  const flash = takeFlash();
  replace(main, h('section', { class: 'page' },
    h('div', { class: 'page-head' },
      h('h1', null, 'Projects'),
      h('a', { href: '/new', class: 'button primary' }, 'New project')),
    flash && h('p', { class: 'notice notice-ok', role: 'status' }, flash),
    body));

  let timer = null;
  let disposed = false;
  async function load() {
    try {
      const list = await projects.list();
      if (disposed) return;
      replace(body, list.length ? table(list) : empty(
        'No projects yet',
        'Describe an API in plain language or upload a CSV file, and SmartAPIForge writes the contract, the code and the tests.',
        h('a', { href: '/new', class: 'button primary' }, 'Create your first project'),
      ));
      clearTimeout(timer);
      if (list.some((p) => p.status === 'queued' || p.status === 'running')) timer = setTimeout(load, 3000);
    } catch (error) {
      if (!disposed) replace(body, errorBox(error, load));
    }
  }
  await load();
  return {
    dispose() {
      disposed = true;
      clearTimeout(timer);
    },
  };
}

function table(list) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table projects-table' },
    h('caption', { class: 'visually-hidden' }, 'Your projects'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Name'),
      h('th', { scope: 'col' }, 'Status'),
      h('th', { scope: 'col' }, 'Target'),
      h('th', { scope: 'col' }, 'Version'),
      h('th', { scope: 'col' }, 'Updated'))),
    h('tbody', null, list.map((p) => h('tr', null,
      h('th', { scope: 'row', 'data-label': 'Name' },
        h('a', { href: `/projects/${encodeURIComponent(p.id)}`, class: 'project-link' }, p.name),
        h('span', { class: 'muted small' }, p.source_kind === 'csv' ? ' · from CSV' : '')),
      h('td', { 'data-label': 'Status' }, badge(p.status, STATUS_LABELS[p.status] ?? p.status)),
      h('td', { 'data-label': 'Target' }, targetName(p.target)),
      h('td', { 'data-label': 'Version' }, p.current_version ? `v${p.current_version}` : '—'),
      h('td', { 'data-label': 'Updated' }, h('time', { datetime: new Date(p.updated_at).toISOString(), title: when(p.updated_at) }, ago(p.updated_at))))))));
}

export function targetName(target) {
  return { fastapi: 'FastAPI', express: 'Express' }[target] ?? target;
}
