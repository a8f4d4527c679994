// Tests: the verification report of the version (lint, format, compile, pytest in the
// sandbox): counts, each check with its output, failing tests with file:line and message,
// the automatic fixes the server's LLM tried (each with its diffs); when they failed,
// editors can regenerate from here.

import { projects } from '../api.js';
import { badge, count, duration, empty, errorBox, h, loading, replace } from '../dom.js';
import { fileDiff } from '../diff.js';

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
    fixesView(report),
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

/**
 * The auto-fix loop's rounds (`report.fixes`): who answered, what they said was wrong (or
 * why the round gave no fix), whether the project then passed, and each file's diff.
 */
function fixesView(report) {
  const fixes = report.fixes ?? [];
  if (!fixes.length) return null;
  const passed = fixes.find((f) => f.verified);
  const rounds = `${fixes.length} attempt${fixes.length === 1 ? '' : 's'}`;
  return h('section', { class: 'card fixes-card', 'aria-labelledby': 'fixes-title' },
    h('h3', { id: 'fixes-title', class: 'card-title' }, `Automatic fixes (${rounds})`),
    h('p', { class: 'muted fixes-intro' }, passed
      ? `The first checks failed, so the server’s LLM was asked to fix the code; after attempt ${passed.attempt} the project passed them.`
      : 'The checks failed, so the server’s LLM was asked to fix the code; no attempt made the project pass, so this version stays unverified.'),
    h('ol', { class: 'fixes' }, fixes.map((fix, index) => fixView(fix, index + 1))));
}

function fixView(fix, position) {
  const attempt = fix.attempt ?? position;
  const who = fix.provider ? `${fix.provider}${fix.model ? ` (${fix.model})` : ''}` : null;
  const diffs = fix.diffs ?? [];
  const tokens = (fix.tokens_in || fix.tokens_out) ? `${count(fix.tokens_in)} + ${count(fix.tokens_out)} tokens` : null;
  return h('li', { class: 'fix', 'data-attempt': String(attempt) },
    h('div', { class: 'fix-head' },
      h('h4', { class: 'fix-title' }, `Attempt ${attempt}`),
      fix.verified ? badge('ready', 'Verified: yes') : badge('failed', 'Verified: no'),
      who && h('span', { class: 'fix-who' }, who),
      tokens && h('span', { class: 'muted small' }, tokens)),
    fix.explanation && h('p', { class: 'fix-explanation' }, fix.explanation),
    fix.error && h('div', { class: 'fix-error' },
      h('p', { class: 'small' }, diffs.length ? 'The round stopped:' : 'No fix came of this round:'),
      h('pre', { class: 'error-output' }, fix.error)),
    diffs.length > 0
      ? h('div', { class: 'fix-diffs' }, diffs.map((d) => h('div', { class: 'diff-viewer' },
        fileDiff({ path: d.path, diff: d.diff }, {
          from: 'the code before the fix',
          to: `the code after attempt ${attempt}`,
          title: `Changes in ${d.path} by attempt ${attempt}`,
          heading: 'h5',
        }))))
      : !fix.error && h('p', { class: 'muted small' }, 'This attempt changed no file.'));
}
