// Tests: the verification report of the version (lint, format, compile, pytest in the
// sandbox): counts, each check with its output, failing tests with file:line and message;
// when they failed, editors can regenerate from here.

import { projects } from '../api.js';
import { badge, duration, empty, errorBox, h, loading, replace } from '../dom.js';

const CHECK_NAMES = {
  ruff_check: 'Lint (ruff check)',
  ruff_format: 'Format (ruff format --check)',
  compile: 'Compile (python -m compileall)',
  pytest: 'Tests (pytest)',
};

export function render(section, { id, project, version, canEdit, busy, regenerate }) {
  const body = h('div', null, loading('Loading the test report…'));
  const actions = h('div', { class: 'tab-actions' });
  replace(section,
    h('div', { class: 'tab-head' },
      h('div', null,
        h('h2', { id: 'tab-title' }, 'Tests'),
        h('p', { class: 'muted' }, `How version ${version} did in the sandbox: lint, formatting, compilation and the generated test suite.`)),
      actions),
    body);
  let disposed = false;
  async function load() {
    try {
      const report = await projects.report(id, version);
      if (disposed) return;
      replace(body, reportView(report));
      if (!report.ok && canEdit) replace(actions, regenerateAction());
    } catch (error) {
      if (disposed) return;
      replace(body, error.status === 404
        ? empty('No test report', 'This version was not verified, so there is no report.')
        : errorBox(error, load));
    }
  }
  function regenerateAction() {
    const button = h('button', {
      type: 'button', class: 'button', 'data-action': 'regenerate', 'aria-describedby': 'regenerate-hint',
    }, 'Regenerate');
    const status = h('div', { class: 'regenerate-status', 'aria-live': 'polite' });
    if (busy?.()) button.disabled = true;
    button.addEventListener('click', async () => {
      button.disabled = true;
      button.textContent = 'Starting…';
      replace(status);
      try {
        await regenerate();
        replace(status, h('p', { class: 'hint' }, 'A new generation is running: its report shows here when it finishes.'));
        button.textContent = 'Regenerating…';
      } catch (error) {
        button.disabled = false;
        button.textContent = 'Regenerate';
        replace(status, errorBox(error));
      }
    });
    return h('div', { class: 'regenerate-notice' },
      button,
      h('p', { class: 'hint', id: 'regenerate-hint' }, `Builds a new version from the ${project?.source_kind === 'csv' ? 'CSV file' : 'description'}; version ${version} stays in the history.`),
      status);
  }
  load();
  return {
    dispose() {
      disposed = true;
    },
  };
}

function reportView(report) {
  const t = report.tests ?? {};
  const stat = (label, value, kind) => h('div', { class: `stat stat-${kind}` },
    h('span', { class: 'stat-value' }, String(value ?? 0)), h('span', { class: 'stat-label' }, label));
  const failed = report.failed_tests ?? [];
  return [
    h('div', { class: 'report-summary' },
      h('p', { class: 'report-verdict' }, report.ok ? badge('ready', 'All checks passed') : badge('failed', 'Checks failed'),
        report.wall_ms != null && h('span', { class: 'muted' }, ` in ${duration(report.wall_ms)}`)),
      h('div', { class: 'stats' },
        stat('passed', t.passed, 'ok'),
        stat('failed', t.failed, t.failed ? 'bad' : 'none'),
        stat('errors', t.errors, t.errors ? 'bad' : 'none'),
        stat('skipped', t.skipped, 'none'),
        stat('total', t.total, 'none'))),
    report.problem && h('div', { class: 'notice notice-error', role: 'alert' }, h('p', null, report.problem)),
    failed.length > 0 && h('section', { class: 'card', 'aria-labelledby': 'failures-title' },
      h('h3', { id: 'failures-title', class: 'card-title' }, `Failing tests (${failed.length})`),
      h('ul', { class: 'failures' }, failed.map((f) => h('li', { class: 'failure' },
        h('p', null, badge('failed', f.kind || 'failed'), ' ', h('code', null, f.id || f.location)),
        f.location && h('p', { class: 'muted small' }, f.location),
        f.message && h('pre', { class: 'error-output' }, f.message))))),
    h('section', { class: 'card', 'aria-labelledby': 'checks-title' },
      h('h3', { id: 'checks-title', class: 'card-title' }, 'Checks'),
      h('ul', { class: 'checks' }, (report.steps ?? []).map((s) => h('li', { class: 'check' },
        h('details', { open: !s.ok },
          h('summary', null,
            h('span', { class: `check-icon ${s.ok ? 'ok' : 'bad'}`, 'aria-hidden': 'true' }, s.ok ? '✓' : '✕'),
            h('span', { class: 'check-name' }, CHECK_NAMES[s.step] ?? s.step),
            h('span', { class: 'visually-hidden' }, s.ok ? ': passed' : ': failed'),
            h('span', { class: 'muted small check-time' }, duration(s.duration_ms))),
          h('p', { class: 'muted small' }, h('code', null, s.command ?? ''), s.exit_code != null ? ` → exit ${s.exit_code}` : ''),
          h('pre', { class: 'output', tabindex: '0', 'aria-label': `Output of ${s.step}` }, (s.output ?? '').trim() || '(no output)')))))),
    (report.ruff_findings ?? []).length > 0 && h('section', { class: 'card', 'aria-labelledby': 'ruff-title' },
      h('h3', { id: 'ruff-title', class: 'card-title' }, `Lint findings (${report.ruff_findings_total ?? report.ruff_findings.length})`),
      h('pre', { class: 'output', tabindex: '0' }, report.ruff_findings.map((f) => (typeof f === 'string' ? f : JSON.stringify(f))).join('\n'))),
    (report.unformatted ?? []).length > 0 && h('section', { class: 'card', 'aria-labelledby': 'fmt-title' },
      h('h3', { id: 'fmt-title', class: 'card-title' }, 'Files that need formatting'),
      h('ul', null, report.unformatted.map((f) => h('li', null, h('code', null, f))))),
  ];
}
