// Unified diffs as the app shows them: parsed into rows with the line numbers of both
// sides, counted, and drawn as an accessible table (a file's head, then its lines). Used by
// the Versions tab (what changed between two versions) and the Tests tab (what each
// automatic fix changed).

import { badge, h } from './dom.js';

/** A file's status in a comparison: its badge and its one-letter mark. */
export const STATUS = {
  added: { label: 'added', kind: 'ready', letter: 'A' },
  removed: { label: 'removed', kind: 'failed', letter: 'D' },
  changed: { label: 'changed', kind: 'running', letter: 'M' },
};

/** A unified diff as rows: hunk headers, context, added and removed lines with numbers. */
export function parseDiff(text) {
  const rows = [];
  let oldNo = 0;
  let newNo = 0;
  let inHunk = false;
  const lines = (text ?? '').split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      oldNo = Number(hunk[1]);
      newNo = Number(hunk[2]);
      inHunk = true;
      rows.push({ kind: 'hunk', text: line });
    } else if (!inHunk) {
      // The `--- a/…` and `+++ b/…` header, or "Binary files … differ".
      if (!line.startsWith('--- ') && !line.startsWith('+++ ')) rows.push({ kind: 'meta', text: line });
    } else if (line.startsWith('+')) {
      rows.push({ kind: 'add', sign: '+', newNo: newNo++, text: line.slice(1) });
    } else if (line.startsWith('-')) {
      rows.push({ kind: 'del', sign: '−', oldNo: oldNo++, text: line.slice(1) });
    } else if (line.startsWith('\\')) {
      rows.push({ kind: 'meta', text: line });
    } else {
      rows.push({ kind: 'ctx', sign: ' ', oldNo: oldNo++, newNo: newNo++, text: line.slice(1) });
    }
  }
  return rows;
}

/** Counts of added and removed lines in a unified diff. */
export function counts(text) {
  let added = 0;
  let removed = 0;
  for (const row of parseDiff(text)) {
    if (row.kind === 'add') added += 1;
    else if (row.kind === 'del') removed += 1;
  }
  return { added, removed };
}

/** A status badge: added, removed, changed. */
export function statusBadge(status) {
  const s = STATUS[status] ?? { label: status, kind: 'queued' };
  return badge(s.kind, s.label);
}

/** "+12 −3", with the words for screen readers. */
export function lineCounts({ added, removed }) {
  return h('span', { class: 'diff-counts' },
    h('span', { class: 'diff-count-add' }, `+${added}`),
    h('span', { class: 'diff-count-del' }, `−${removed}`),
    h('span', { class: 'visually-hidden' }, ` (${added} line${added === 1 ? '' : 's'} added, ${removed} removed)`));
}

/**
 * One file's diff (`{path, diff, status?}`): a head (path, status, line counts) and a table
 * of lines (old number, new number, change). `from` and `to` name the two sides ("v1",
 * "before the fix"); `title` names the table and its scroll region (default: "Changes in
 * PATH from FROM to TO" and "Changes in PATH"); `heading` is the path's heading element.
 */
export function fileDiff(file, { from, to, stat = counts(file.diff), title, heading = 'h4' }) {
  const rows = parseDiff(file.diff);
  const head = h('div', { class: 'viewer-head' },
    h(heading, { class: 'viewer-path' }, file.path),
    file.status && statusBadge(file.status),
    lineCounts(stat));
  if (!rows.some((r) => r.kind !== 'meta')) {
    return [head, h('p', { class: 'diff-note muted' }, rows.map((r) => r.text).join(' ') || 'No line-by-line changes to show.')];
  }
  const cell = (value) => h('td', { class: 'diff-ln' }, value ?? '');
  const table = h('table', { class: 'diff-table' },
    h('caption', { class: 'visually-hidden' }, title ?? `Changes in ${file.path} from ${from} to ${to}`),
    h('thead', { class: 'visually-hidden' }, h('tr', null,
      h('th', { scope: 'col' }, `Line in ${from}`),
      h('th', { scope: 'col' }, `Line in ${to}`),
      h('th', { scope: 'col' }, 'Line'))),
    h('tbody', null, rows.map((row) => {
      if (row.kind === 'hunk' || row.kind === 'meta') {
        return h('tr', { class: `diff-${row.kind}` }, h('td', { colspan: '3' }, row.text));
      }
      return h('tr', { class: `diff-${row.kind}` },
        cell(row.oldNo),
        cell(row.newNo),
        h('td', { class: 'diff-code' },
          h('span', { class: 'diff-sign', 'aria-hidden': 'true' }, row.sign),
          row.kind === 'add' ? h('span', { class: 'visually-hidden' }, 'added: ') : null,
          row.kind === 'del' ? h('span', { class: 'visually-hidden' }, 'removed: ') : null,
          row.text));
    })));
  return [head, h('div', {
    class: 'diff-scroll', tabindex: '0', role: 'region', 'aria-label': title ?? `Changes in ${file.path}`,
  }, table)];
}
