// A project: its header, the generation's live progress (SSE), what went wrong when it did,
// and the tabs (contract, files, tests, preview, versions, download) at /projects/{id}/{tab}.

import { jobs, projects } from '../api.js';
import { ago, badge, empty, errorBox, h, loading, replace, when } from '../dom.js';
import { JobModel, ProgressPanel, followJob } from '../progress.js';
import { STATUS_LABELS, targetName } from './dashboard.js';
import * as contract from '../tabs/contract.js';
import * as files from '../tabs/files.js';
import * as tests from '../tabs/tests.js';
import * as preview from '../tabs/preview.js';
import * as versions from '../tabs/versions.js';
import * as download from '../tabs/download.js';

const TABS = [
  { key: 'contract', label: 'Contract', module: contract },
  { key: 'files', label: 'Files', module: files },
  { key: 'tests', label: 'Tests', module: tests },
  { key: 'preview', label: 'Preview', module: preview },
  { key: 'versions', label: 'Versions', module: versions },
  { key: 'download', label: 'Download', module: download },
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

  const heading = h('h1', { class: 'project-title' }, 'Project');
  const headBadge = h('span');
  const meta = h('p', { class: 'project-meta muted' });
  const progressSlot = h('div');
  const alertSlot = h('div');
  const tabNav = h('nav', { class: 'tabs', 'aria-label': 'Project sections' });
  const tabPanel = h('div', { class: 'tab-panel' });
  const crumbName = h('span', { 'aria-current': 'page' }, '…');
  replace(main, h('section', { class: 'page' },
    h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' },
      h('ol', null, h('li', null, h('a', { href: '/' }, 'Projects')), h('li', null, crumbName))),
    h('div', { class: 'project-head' }, heading, headBadge),
    meta,
    progressSlot,
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
  renderTab();

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
    if (!project.current_version) {
      const generating = model && !model.final;
      replace(section,
        h('h2', { id: 'tab-title', class: 'visually-hidden' }, meta.label),
        empty(
          generating ? `The ${meta.label.toLowerCase()} will be here when the generation finishes` : 'No version yet',
          generating ? 'Follow the progress above; this tab fills in by itself.' : 'The generation did not produce a version: see above for what failed.',
        ));
      return;
    }
    tabHandle = meta.module.render(section, { id, project, version: project.current_version, navigate: ctx.navigate });
  }

  async function startProgress() {
    if (!project.last_job_id) {
      replace(progressSlot);
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
    replace(progressSlot, panel.el);
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
    renderHead();
    renderAlert();
    if (!renderedTab || renderedTab.version !== project.current_version) renderTab();
  }

  function renderAlert() {
    if (!model) return replace(alertSlot);
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
        } catch (error) {
          retry.disabled = false;
          retry.textContent = 'Retry generation';
          replace(alertSlot, errorBox(error));
        }
      });
      const what = failedStep ? `the ${failedStep[0]} step failed` : 'it failed';
      replace(alertSlot, h('div', { class: 'notice notice-error', role: 'alert' },
        h('p', { class: 'notice-title' }, 'The generation failed and was moved to the dead-letter queue'),
        h('p', null, job.permanent || job.attempts < job.max_attempts
          ? `On attempt ${job.attempts}, ${what} on input that retrying cannot fix:`
          : `After ${job.attempts} of ${job.max_attempts} attempts, ${what}:`),
        h('pre', { class: 'error-output' }, job.last_error || failedStep?.[1].error || 'no error was recorded'),
        h('div', { class: 'row' },
          retry,
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
          h('a', { href: `/projects/${encodeURIComponent(id)}/tests`, class: 'button primary' }, 'See what failed'))));
    } else if (outcome === 'cancelled') {
      replace(alertSlot, h('div', { class: 'notice notice-warn', role: 'status' },
        h('p', { class: 'notice-title' }, 'The generation was cancelled')));
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

function tabOf(key) {
  return TABS.some((t) => t.key === key) ? key : 'contract';
}
