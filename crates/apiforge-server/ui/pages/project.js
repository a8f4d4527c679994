// A project: its header and description (editors revise it and regenerate), the
// generation's live progress (SSE), what went wrong when it did, and the tabs (contract,
// files, tests, preview, versions, download, settings) at /projects/{id}/{tab}.

import { jobs, projects } from '../api.js';
import { ago, badge, count, duration, empty, errorBox, h, loading, replace, when } from '../dom.js';
import { JobModel, ProgressPanel, followJob } from '../progress.js';
import { STATUS_LABELS, targetName } from './dashboard.js';
import * as contract from '../tabs/contract.js';
import * as files from '../tabs/files.js';
import * as tests from '../tabs/tests.js';
import * as preview from '../tabs/preview.js';
import * as versions from '../tabs/versions.js';
import * as download from '../tabs/download.js';
import * as settings from '../tabs/settings.js';

const TABS = [
  { key: 'contract', label: 'Contract', module: contract },
  { key: 'files', label: 'Files', module: files },
  { key: 'tests', label: 'Tests', module: tests },
  { key: 'preview', label: 'Preview', module: preview },
  { key: 'versions', label: 'Versions', module: versions },
  { key: 'download', label: 'Download', module: download },
  // Sharing and deletion: there is something to show before any version exists.
  { key: 'settings', label: 'Settings', module: settings, always: true },
];

export async function render(main, ctx) {
  const { id } = ctx.params;
  let tab = tabOf(ctx.params.tab);
  let project = null;
  let model = null;
  let panel = null;
  let follower = null;
  let ticker = null;
  let tabHandle = null;
  let renderedTab = null;
  let disposed = false;
  let editing = false;

  const heading = h('h1', { class: 'project-title' }, 'Project');
  const headBadge = h('span');
  const meta = h('p', { class: 'project-meta muted' });
  const descriptionSlot = h('div');
  const progressSlot = h('div');
  const plannerSlot = h('div');
  const alertSlot = h('div');
  const tabNav = h('nav', { class: 'tabs', 'aria-label': 'Project sections' });
  const tabPanel = h('div', { class: 'tab-panel' });
  const crumbName = h('span', { 'aria-current': 'page' }, '…');
  replace(main, h('section', { class: 'page' },
    h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' },
      h('ol', null, h('li', null, h('a', { href: '/' }, 'Projects')), h('li', null, crumbName))),
    h('div', { class: 'project-head' }, heading, headBadge),
    meta,
    descriptionSlot,
    progressSlot,
    plannerSlot,
    alertSlot,
    tabNav,
    tabPanel));
  replace(tabPanel, loading('Loading the project…'));

  try {
    project = await projects.get(id);
  } catch (error) {
    ctx.title('Project');
    heading.textContent = error.status === 404 ? 'Project not found' : 'Project';
    replace(tabPanel, error.status === 404
      ? empty('This project does not exist, or it is not shared with you.', null, h('a', { href: '/', class: 'button' }, 'Back to your projects'))
      : errorBox(error, () => location.reload()));
    return null;
  }
  renderHead();
  renderTabs();
  await startProgress();
  renderDescription();
  renderTab();

  /** Owners and editors change the project; viewers read it. */
  function canEdit() {
    return project.role === 'owner' || project.role === 'editor';
  }

  /** Whether a generation is queued or running (no new one can start). */
  function busy() {
    if (model) return !model.final;
    return project.status === 'queued' || project.status === 'running';
  }

  function renderHead() {
    ctx.title(project.name);
    heading.textContent = project.name;
    crumbName.textContent = project.name;
    replace(headBadge, badge(project.status, STATUS_LABELS[project.status] ?? project.status));
    replace(meta,
      targetName(project.target),
      ' · ', project.source_kind === 'csv' ? 'from a CSV file' : 'from a description',
      ' · ', project.current_version ? `version ${project.current_version}` : 'no version yet',
      ' · created ', h('time', { datetime: new Date(project.created_at).toISOString(), title: when(project.created_at) }, ago(project.created_at)));
  }

  function renderDescription() {
    if (editing) return;
    if (project.source_kind !== 'prompt' || project.prompt == null) {
      replace(descriptionSlot);
      return;
    }
    const text = h('p', { class: 'description-text clamped', id: 'description-text' }, project.prompt);
    const more = h('button', {
      type: 'button', class: 'button link small description-more', hidden: true,
      'aria-expanded': 'false', 'aria-controls': 'description-text',
    }, 'Show all');
    more.addEventListener('click', () => {
      const open = text.classList.toggle('clamped') === false;
      more.setAttribute('aria-expanded', String(open));
      more.textContent = open ? 'Show less' : 'Show all';
    });
    let edit = null;
    if (canEdit()) {
      edit = h('button', { type: 'button', class: 'button small', 'data-action': 'edit-description' }, 'Edit description');
      if (busy()) {
        edit.disabled = true;
        edit.title = 'A generation is running: edit the description when it finishes';
      }
      edit.addEventListener('click', openEditor);
    }
    replace(descriptionSlot, h('section', { class: 'card description', 'aria-labelledby': 'description-title' },
      h('div', { class: 'description-head' },
        h('h2', { id: 'description-title', class: 'card-title' }, 'Description'),
        edit),
      text,
      more));
    requestAnimationFrame(() => {
      if (text.scrollHeight > text.clientHeight + 2) more.hidden = false;
    });
  }

  /** The description as a form: revise it, then regenerate (or cancel). */
  function openEditor() {
    if (!canEdit() || busy()) return;
    editing = true;
    const input = h('textarea', {
      id: 'description-input', name: 'prompt', rows: '6', maxlength: '20000',
      'aria-describedby': 'description-hint', spellcheck: 'true',
    });
    input.value = project.prompt ?? '';
    const errors = h('div', { class: 'form-errors', 'aria-live': 'assertive' });
    const submit = h('button', { type: 'submit', class: 'button primary' }, 'Regenerate');
    const cancel = h('button', { type: 'button', class: 'button' }, 'Cancel');
    const form = h('form', { class: 'description-form', novalidate: true },
      h('div', { class: 'field' },
        h('label', { for: 'description-input' }, 'Describe your API'),
        input,
        h('p', { class: 'hint', id: 'description-hint' },
          'Regenerating builds a new version from this description. The versions so far stay in the history, to compare with.')),
      errors,
      h('div', { class: 'row' }, submit, cancel));
    input.addEventListener('input', () => {
      if (input.getAttribute('aria-invalid') === 'true' && input.value.trim()) {
        input.removeAttribute('aria-invalid');
        replace(errors);
      }
    });
    const close = () => {
      editing = false;
      renderDescription();
      descriptionSlot.querySelector('[data-action="edit-description"]')?.focus();
    };
    cancel.addEventListener('click', close);
    form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !submit.disabled) {
        event.preventDefault();
        close();
      }
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      replace(errors);
      const text = input.value.trim();
      if (!text) {
        input.setAttribute('aria-invalid', 'true');
        replace(errors, errorBox({ problem: { title: 'Describe your API', detail: 'Write what the API manages: its resources, their fields and how they relate.' } }));
        input.focus();
        return;
      }
      input.removeAttribute('aria-invalid');
      submit.disabled = true;
      cancel.disabled = true;
      submit.textContent = 'Starting…';
      try {
        editing = false;
        await regenerate(text);
      } catch (error) {
        editing = true;
        submit.disabled = false;
        cancel.disabled = false;
        submit.textContent = 'Regenerate';
        replace(errors, errorBox(error));
      }
    });
    replace(descriptionSlot, h('section', { class: 'card description editing', 'aria-labelledby': 'description-title' },
      h('h2', { id: 'description-title', class: 'card-title' }, 'Edit description'),
      form));
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }

  /**
   * Starts a new generation (from `prompt`, else from the current source) and follows it
   * like the first one. Throws the API's error (409 when one is already running).
   */
  async function regenerate(prompt) {
    const created = await projects.regenerate(id, prompt);
    if (disposed) return;
    project = created.project;
    follower?.close();
    clearInterval(ticker);
    ticker = null;
    renderHead();
    await startProgress();
    renderDescription();
    const title = progressSlot.querySelector('#progress-title');
    if (title) {
      title.tabIndex = -1;
      title.focus({ preventScroll: true });
      progressSlot.scrollIntoView?.({ block: 'nearest' });
    }
  }

  /** A button that regenerates from the current source, errors shown in the alert slot. */
  function regenerateButton(kind = 'button') {
    const button = h('button', { type: 'button', class: `button ${kind}`, 'data-action': 'regenerate' }, 'Regenerate');
    button.addEventListener('click', async () => {
      button.disabled = true;
      button.textContent = 'Starting…';
      try {
        await regenerate();
      } catch (error) {
        button.disabled = false;
        button.textContent = 'Regenerate';
        alertSlot.prepend(errorBox(error));
      }
    });
    return button;
  }

  function editDescriptionButton() {
    if (!canEdit() || project.source_kind !== 'prompt') return null;
    return h('button', {
      type: 'button', class: 'button',
      onclick: () => {
        openEditor();
        descriptionSlot.scrollIntoView?.({ block: 'nearest' });
      },
    }, 'Edit description');
  }

  function renderTabs() {
    replace(tabNav, h('ul', null, TABS.map((t) => h('li', null, h('a', {
      href: `/projects/${encodeURIComponent(id)}/${t.key}`,
      class: 'tab',
      'aria-current': t.key === tab ? 'page' : null,
      'data-tab': t.key,
    }, t.label)))));
  }

  function renderTab() {
    if (disposed) return;
    tabHandle?.dispose?.();
    tabHandle = null;
    renderedTab = { tab, version: project.current_version };
    const meta = TABS.find((t) => t.key === tab);
    ctx.title(`${meta.label} · ${project.name}`);
    const section = h('section', { class: 'tab-content', 'aria-labelledby': 'tab-title', 'data-tab': tab });
    replace(tabPanel, section);
    if (!project.current_version && !meta.always) {
      const generating = model && !model.final;
      replace(section,
        h('h2', { id: 'tab-title', class: 'visually-hidden' }, meta.label),
        empty(
          generating ? `The ${meta.label.toLowerCase()} will be here when the generation finishes` : 'No version yet',
          generating ? 'Follow the progress above; this tab fills in by itself.' : 'The generation did not produce a version: see above for what failed.',
        ));
      return;
    }
    tabHandle = meta.module.render(section, {
      id,
      project,
      version: project.current_version,
      navigate: ctx.navigate,
      user: ctx.session.user,
      canEdit: canEdit(),
      busy,
      regenerate,
    });
  }

  async function startProgress() {
    model = null;
    replace(plannerSlot);
    if (!project.last_job_id) {
      replace(progressSlot);
      renderAlert();
      return;
    }
    let job;
    try {
      job = await jobs.get(project.last_job_id);
    } catch (error) {
      replace(progressSlot, errorBox(error));
      return;
    }
    model = new JobModel(job);
    panel = new ProgressPanel(model);
    panel.el.dataset.job = job.id;
    replace(progressSlot, panel.el);
    renderPlanner();
    renderAlert();
    if (model.final) return;
    ticker = setInterval(() => panel.update(), 250);
    follower = followJob(project.last_job_id, {
      onEvent: (event) => {
        model.apply(event);
        panel.update();
        if (event.kind === 'dead' || event.kind === 'retrying') renderAlert();
      },
      onSnapshot: (snapshot) => {
        model.reset(snapshot);
        panel.update();
      },
      onConnection: (state) => panel.setConnection(state),
      onFinal: () => finished(),
    });
  }

  async function finished() {
    clearInterval(ticker);
    ticker = null;
    try {
      // The job's result (ok, version) and the project's new status.
      const [job, fresh] = await Promise.all([jobs.get(project.last_job_id), projects.get(id)]);
      if (disposed) return;
      model.reset(job);
      project = fresh;
    } catch {
      // Keep what the events said; a reload shows the rest.
    }
    panel.update();
    renderPlanner();
    renderHead();
    renderDescription();
    renderAlert();
    if (!renderedTab || renderedTab.version !== project.current_version) renderTab();
  }

  /** How the generation was planned (the job's `result.planner`), on one line. */
  function renderPlanner() {
    const note = model?.job?.result?.planner;
    replace(plannerSlot, note && typeof note === 'object' ? plannerLine(note) : null);
  }

  function renderAlert() {
    if (!model) {
      // A failed project whose job is gone: start again from its source.
      if (project.status === 'failed' && canEdit()) {
        return replace(alertSlot, h('div', { class: 'notice notice-error', role: 'alert' },
          h('p', { class: 'notice-title' }, 'The last generation of this project failed'),
          h('div', { class: 'row' }, regenerateButton('primary'), editDescriptionButton())));
      }
      return replace(alertSlot);
    }
    const outcome = model.outcome();
    const job = model.job;
    const failedStep = [...model.steps.entries()].find(([, s]) => s.state === 'failed');
    if (outcome === 'dead') {
      const retry = h('button', { type: 'button', class: 'button primary' }, 'Retry generation');
      retry.addEventListener('click', async () => {
        retry.disabled = true;
        retry.textContent = 'Retrying…';
        try {
          await jobs.retry(job.id);
          project = await projects.get(id);
          renderHead();
          follower?.close();
          await startProgress();
          renderDescription();
        } catch (error) {
          retry.disabled = false;
          retry.textContent = 'Retry generation';
          replace(alertSlot, errorBox(error));
        }
      });
      const what = failedStep ? `the ${failedStep[0]} step failed` : 'it failed';
      const editable = canEdit();
      replace(alertSlot, h('div', { class: 'notice notice-error', role: 'alert' },
        h('p', { class: 'notice-title' }, 'The generation failed and was moved to the dead-letter queue'),
        h('p', null, job.permanent || job.attempts < job.max_attempts
          ? `On attempt ${job.attempts}, ${what} on input that retrying cannot fix:`
          : `After ${job.attempts} of ${job.max_attempts} attempts, ${what}:`),
        h('pre', { class: 'error-output' }, job.last_error || failedStep?.[1].error || 'no error was recorded'),
        h('div', { class: 'row' },
          editable && retry,
          editDescriptionButton(),
          h('a', { href: '/new', class: 'button' }, 'Start a new project'))));
    } else if (outcome === 'retrying') {
      replace(alertSlot, h('div', { class: 'notice notice-warn', role: 'status' },
        h('p', { class: 'notice-title' }, `Attempt ${model.retry.attempt} failed; it is retried automatically`),
        h('pre', { class: 'error-output' }, model.retry.error || '')));
    } else if (outcome === 'tests-failed') {
      const counts = job.result?.tests ?? {};
      const failing = (counts.failed ?? 0) + (counts.errors ?? 0);
      replace(alertSlot, h('div', { class: 'notice notice-error', role: 'alert' },
        h('p', { class: 'notice-title' }, 'The generated project failed its checks'),
        h('p', null, failing
          ? `${failing} of ${counts.total ?? '?'} tests failed. `
          : 'Lint, formatting or compilation failed. ',
        'The contract and the code are kept; an unverified version is not previewed.'),
        h('div', { class: 'row' },
          h('a', { href: `/projects/${encodeURIComponent(id)}/tests`, class: 'button primary' }, 'See what failed'),
          canEdit() && regenerateButton())));
    } else if (outcome === 'cancelled') {
      replace(alertSlot, h('div', { class: 'notice notice-warn', role: 'status' },
        h('p', { class: 'notice-title' }, 'The generation was cancelled'),
        canEdit() && h('div', { class: 'row' }, regenerateButton())));
    } else {
      replace(alertSlot);
    }
  }

  return {
    update(params) {
      const next = tabOf(params.tab);
      if (next === tab) return;
      tab = next;
      renderTabs();
      renderTab();
      tabNav.querySelector('[aria-current="page"]')?.focus();
    },
    dispose() {
      disposed = true;
      follower?.close();
      clearInterval(ticker);
      tabHandle?.dispose?.();
    },
  };
}

/**
 * "Planned by openai (gpt-4o-mini) in 11.3 s, 812 + 240 tokens", or why the built-in
 * planner was used instead of the LLM planner.
 */
function plannerLine(note) {
  if (note.fallback) {
    return h('p', { class: 'planner-note planner-fallback', 'data-planner': 'fallback' },
      h('span', { class: 'planner-icon', 'aria-hidden': 'true' }, '⚠'),
      `The LLM planner gave no valid manifest (${note.fallback}); the built-in planner was used.`);
  }
  if (note.planner !== 'llm') {
    return h('p', { class: 'planner-note', 'data-planner': 'builtin' }, 'Planned by the built-in planner.');
  }
  const who = note.model ? `${note.provider ?? 'the LLM'} (${note.model})` : (note.provider ?? 'the LLM');
  const failed = note.failed_providers ?? [];
  const details = [
    `${count(note.tokens_in)} + ${count(note.tokens_out)} tokens`,
    note.cost_usd != null && `$${Number(note.cost_usd).toFixed(note.cost_usd < 0.01 ? 4 : 2)}`,
    note.repaired && 'after one repair of an invalid answer',
    failed.length > 0 && `after ${failed.join(', ')} failed`,
  ].filter(Boolean);
  return h('p', { class: 'planner-note', 'data-planner': 'llm' },
    'Planned by ', h('strong', null, who),
    note.latency_ms != null ? ` in ${duration(note.latency_ms)}` : '',
    h('span', { class: 'muted' }, ` · ${details.join(' · ')}`));
}

function tabOf(key) {
  return TABS.some((t) => t.key === key) ? key : 'contract';
}
