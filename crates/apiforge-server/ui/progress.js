// A generation job's progress: the model built from the job's steps and its event stream,
// the stream follower (Server-Sent Events with reconnection), and the progress panel.

import { jobs } from './api.js';
import { duration, h, replace } from './dom.js';

/** The generation job's steps, in order, with what the user reads and a typical time;
 * `optional` steps are shown only once they run. */
export const STEPS = [
  { name: 'plan', label: 'Plan', doing: 'Planning resources and fields', weight: 5, typical: 300 },
  { name: 'spec', label: 'Contract', doing: 'Writing the OpenAPI 3.1 contract', weight: 5, typical: 400 },
  { name: 'codegen', label: 'Code', doing: 'Generating the code', weight: 10, typical: 600 },
  { name: 'verify', label: 'Tests', doing: 'Running lint and tests in the sandbox', weight: 55, typical: 9000 },
  // Only when the tests failed and the server has an LLM: the auto-fix loop.
  { name: 'fix', label: 'Fix', doing: 'Asking the LLM to fix the failing checks', weight: 0, typical: 30000, optional: true },
  { name: 'preview', label: 'Preview', doing: 'Starting the live preview', weight: 20, typical: 3000 },
  { name: 'save', label: 'Save', doing: 'Saving the version', weight: 5, typical: 400 },
];

const EVENT_KINDS = [
  'enqueued', 'started', 'step_started', 'step_finished', 'step_reused', 'step_failed',
  'retrying', 'dead', 'succeeded', 'cancelled', 'released', 'retried',
];
const FINAL_EVENTS = new Set(['succeeded', 'dead', 'cancelled']);
export const FINAL_STATES = new Set(['succeeded', 'dead', 'cancelled']);

/** What the panel shows: the job and its steps, updated by events. */
export class JobModel {
  constructor(job) {
    this.reset(job);
  }

  /** Rebuilds the model from the job JSON (`GET /api/jobs/{id}`). */
  reset(job) {
    // A dead job's JSON does not say whether its error was permanent; its events did.
    this.job = { permanent: this.job?.id === job.id ? this.job.permanent : undefined, ...job };
    this.retry = null;
    this.steps = new Map(STEPS.map((s) => [s.name, { state: 'pending' }]));
    for (const step of job.steps ?? []) {
      this.steps.set(step.name, {
        state: step.state,
        started: step.started_at,
        finished: step.finished_at,
        error: step.error,
      });
    }
    if (job.state === 'succeeded' && job.result && job.result.ok === false) {
      const preview = this.steps.get('preview');
      if (preview?.state === 'pending') preview.state = 'skipped';
    }
  }

  /** Applies one progress event (`{id, kind, at, data}`). */
  apply(event) {
    const data = event.data ?? {};
    const step = data.step ? this.steps.get(data.step) ?? { state: 'pending' } : null;
    if (step) this.steps.set(data.step, step);
    switch (event.kind) {
      case 'enqueued':
      case 'released':
        this.job.state = 'queued';
        break;
      case 'retried':
        this.job.state = 'queued';
        this.job.last_error = null;
        this.retry = null;
        for (const s of this.steps.values()) if (s.state === 'failed') Object.assign(s, { state: 'pending', error: null });
        break;
      case 'started':
        this.job.state = 'running';
        this.job.attempts = data.attempt ?? this.job.attempts;
        this.retry = null;
        break;
      case 'step_started':
        Object.assign(step, { state: 'running', started: event.at, finished: null, error: null });
        break;
      case 'step_finished':
      case 'step_reused':
        Object.assign(step, { state: 'succeeded', finished: event.at });
        if (data.duration_ms != null) step.started = event.at - data.duration_ms;
        break;
      case 'step_failed':
        Object.assign(step, { state: 'failed', finished: event.at, error: data.error });
        break;
      case 'retrying':
        this.job.state = 'queued';
        this.job.last_error = data.error;
        this.retry = { attempt: data.attempt, error: data.error, at: data.run_at };
        break;
      case 'dead':
        this.job.state = 'dead';
        this.job.last_error = data.error;
        this.job.permanent = Boolean(data.permanent);
        this.job.finished_at = event.at;
        break;
      case 'succeeded':
        this.job.state = 'succeeded';
        this.job.finished_at = event.at;
        break;
      case 'cancelled':
        this.job.state = 'cancelled';
        this.job.finished_at = event.at;
        break;
      default:
        break;
    }
    // Steps after a skipped preview (tests failed) go straight to save.
    if (this.steps.get('save')?.state !== 'pending' && this.steps.get('preview')?.state === 'pending') {
      this.steps.get('preview').state = 'skipped';
    }
  }

  get final() {
    return FINAL_STATES.has(this.job.state);
  }

  /** 0–100, by finished steps' weights plus a share of the running one. */
  percent(now = Date.now()) {
    if (this.job.state === 'succeeded') return 100;
    let done = 0;
    for (const meta of STEPS) {
      const step = this.steps.get(meta.name);
      if (step.state === 'succeeded' || step.state === 'skipped') done += meta.weight;
      else if (step.state === 'running' && step.started) {
        const share = 1 - Math.exp(-Math.max(0, now - step.started) / meta.typical);
        done += meta.weight * Math.min(share, 0.95);
      }
    }
    return Math.min(99, Math.round(done));
  }

  /** The step running now (or the first one not finished). */
  current() {
    const running = STEPS.find((s) => this.steps.get(s.name).state === 'running');
    return running ?? STEPS.find((s) => !s.optional && this.steps.get(s.name).state === 'pending') ?? null;
  }

  /** The steps the panel lists: every required one, optional ones once they ran. */
  visible() {
    return STEPS.filter((s) => !s.optional || !['pending', 'skipped'].includes(this.steps.get(s.name).state));
  }

  /** Milliseconds since the job was created, up to when it finished. */
  elapsed(now = Date.now()) {
    const start = this.job.created_at;
    if (!start) return null;
    return Math.max(0, (this.final && this.job.finished_at ? this.job.finished_at : now) - start);
  }

  /** `ok`, `tests-failed`, `dead`, `cancelled`, `retrying`, `running` or `queued`. */
  outcome() {
    const { state, result } = this.job;
    if (state === 'succeeded') return result && result.ok === false ? 'tests-failed' : 'ok';
    if (state === 'dead' || state === 'cancelled') return state;
    if (this.retry) return 'retrying';
    return state === 'running' ? 'running' : 'queued';
  }
}

/**
 * Follows a job's events. The browser's EventSource reconnects by itself after a drop and
 * resumes with Last-Event-ID; when it gives up (the server ended the stream) we look at the
 * job: finished → stop, otherwise open a new stream (events already seen are skipped).
 */
export function followJob(jobId, { onEvent, onConnection, onSnapshot, onFinal }) {
  let source = null;
  let lastId = 0;
  let closed = false;
  let timer = null;
  let delay = 1000;

  const stop = () => {
    closed = true;
    clearTimeout(timer);
    source?.close();
  };
  const finish = (state) => {
    stop();
    onConnection?.('closed');
    onFinal?.(state);
  };
  const handle = (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    if (typeof event.id === 'number') {
      if (event.id <= lastId) return;
      lastId = event.id;
    }
    onEvent(event);
    if (FINAL_EVENTS.has(event.kind)) finish(event.kind);
  };
  const check = async () => {
    try {
      const job = await jobs.get(jobId);
      if (closed) return;
      if (FINAL_STATES.has(job.state)) {
        onSnapshot?.(job);
        finish(job.state);
        return;
      }
    } catch (error) {
      if (closed) return;
      if (error.status === 401 || error.status === 404) {
        stop();
        onConnection?.('lost');
        return;
      }
    }
    if (source && source.readyState === EventSource.CLOSED) {
      clearTimeout(timer);
      timer = setTimeout(open, delay);
      delay = Math.min(delay * 2, 15000);
    }
  };
  function open() {
    if (closed) return;
    source?.close();
    source = new EventSource(jobs.eventsUrl(jobId));
    source.onopen = () => {
      delay = 1000;
      onConnection?.('live');
    };
    for (const kind of EVENT_KINDS) source.addEventListener(kind, handle);
    source.onmessage = handle;
    source.onerror = () => {
      if (closed) return;
      onConnection?.('reconnecting');
      check();
    };
  }
  onConnection?.('connecting');
  open();
  return { close: stop };
}

const ICONS = { succeeded: '✓', failed: '✕', running: '●', pending: '○', skipped: '–' };
const STATE_WORDS = {
  succeeded: 'done', failed: 'failed', running: 'in progress', pending: 'waiting', skipped: 'skipped',
};

/** The progress panel; `update()` redraws it from the model. */
export class ProgressPanel {
  constructor(model) {
    this.model = model;
    this.connection = 'connecting';
    this.stage = h('p', { class: 'progress-stage', id: 'progress-stage', 'aria-live': 'polite' });
    this.time = h('span', { class: 'progress-time', 'aria-label': 'Elapsed time' });
    this.fill = h('div', { class: 'progressbar-fill' });
    this.bar = h('div', {
      class: 'progressbar',
      role: 'progressbar',
      'aria-label': 'Generation progress',
      'aria-describedby': 'progress-stage',
      'aria-valuemin': '0',
      'aria-valuemax': '100',
      'aria-valuenow': '0',
    }, this.fill);
    this.steps = h('ol', { class: 'steps', 'aria-label': 'Generation steps' });
    this.status = h('span', { class: 'connection', role: 'status' });
    this.el = h('section', { class: 'card progress-card', 'aria-labelledby': 'progress-title' },
      h('div', { class: 'progress-head' },
        h('h2', { id: 'progress-title', class: 'card-title' }, 'Generation'),
        h('div', { class: 'progress-meta' }, this.status, this.time)),
      this.stage,
      this.bar,
      this.steps);
    this.update();
  }

  setConnection(state) {
    this.connection = state;
    this.update();
  }

  update() {
    const { model } = this;
    const now = Date.now();
    const outcome = model.outcome();
    const percent = model.percent(now);
    const current = model.current();
    const visible = model.visible();
    const position = current ? visible.indexOf(current) + 1 : visible.length;
    let stage;
    switch (outcome) {
      case 'ok': stage = 'Done: generated, tested and previewed.'; break;
      case 'tests-failed': stage = 'Finished, but the generated tests failed: see the Tests tab.'; break;
      case 'dead': stage = 'Stopped: the job failed and is in the dead-letter queue.'; break;
      case 'cancelled': stage = 'Cancelled.'; break;
      case 'retrying': stage = `Attempt ${model.retry.attempt} failed; retrying soon.`; break;
      case 'queued': stage = 'Waiting for a worker…'; break;
      default: stage = `${current ? current.doing : 'Working'}… (step ${position} of ${visible.length})`;
    }
    if (this.stage.textContent !== stage) this.stage.textContent = stage;
    this.el.dataset.outcome = outcome;
    this.fill.style.width = `${percent}%`;
    this.bar.setAttribute('aria-valuenow', String(percent));
    this.bar.setAttribute('aria-valuetext', outcome === 'ok' ? 'Done' : `${percent}%: ${stage}`);
    const elapsed = model.elapsed(now);
    this.time.textContent = elapsed == null ? '' : duration(elapsed);
    const connection = model.final ? '' : {
      connecting: 'Connecting…', live: 'Live', reconnecting: 'Connection lost: reconnecting…', lost: 'Updates stopped: reload the page', closed: '',
    }[this.connection] ?? '';
    if (this.status.textContent !== connection) this.status.textContent = connection;
    this.status.dataset.state = this.connection;
    replace(this.steps, visible.map((meta) => {
      const step = model.steps.get(meta.name);
      const time = step.started && step.finished ? duration(step.finished - step.started) : '';
      return h('li', { class: `step step-${step.state}` },
        h('span', { class: 'step-icon', 'aria-hidden': 'true' }, ICONS[step.state] ?? '○'),
        h('span', { class: 'step-name' }, meta.label),
        h('span', { class: 'visually-hidden' }, `: ${STATE_WORDS[step.state] ?? step.state}`),
        time && h('span', { class: 'step-time' }, time));
    }));
  }
}
