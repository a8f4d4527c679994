// A new project: a prompt (with corpus examples) or a CSV file (with a preview of the
// fields the planner infers), the planner of a prompt (built-in, or the server's LLM when
// it has a provider), a target, an optional name; then the project page.

import { projects, system } from '../api.js';
import { errorBox, h, loading, replace } from '../dom.js';
import { EXAMPLES } from '../examples.js';

/** The multipart field of the CSV file (`/api/projects` and `/api/plan` alike). */
const CSV_FIELD = 'file';

export function render(main, ctx) {
  ctx.title('New project');
  const errors = h('div', { class: 'form-errors', 'aria-live': 'assertive' });

  // Source: prompt or CSV.
  const sourceName = 'source';
  const sourceRadio = (value, label, checked) => {
    const inputId = `source-${value}`;
    return h('label', { class: 'segment', for: inputId },
      h('input', { type: 'radio', name: sourceName, id: inputId, value, checked }),
      h('span', null, label));
  };
  const sourceField = h('fieldset', { class: 'segmented' },
    h('legend', null, 'Start from'),
    sourceRadio('prompt', 'A description', true),
    sourceRadio('csv', 'A CSV file', false));

  const prompt = h('textarea', {
    id: 'prompt', name: 'prompt', rows: '7', maxlength: '20000', 'aria-describedby': 'prompt-hint',
    placeholder: 'A library API. Books have a title, an ISBN and a publication year. Each book belongs to an author…',
  });
  const examples = h('div', { class: 'examples', role: 'group', 'aria-labelledby': 'examples-label' },
    h('span', { id: 'examples-label', class: 'examples-label' }, 'Examples:'),
    EXAMPLES.map((ex) => h('button', {
      type: 'button', class: 'chip', 'data-example': ex.id,
      onclick: () => { prompt.value = ex.prompt; prompt.focus(); },
    }, ex.label)));
  const promptPanel = h('div', { class: 'field' },
    h('label', { for: 'prompt' }, 'Describe your API'),
    prompt,
    h('p', { class: 'hint', id: 'prompt-hint' },
      'Name the resources, their fields and how they relate: sentences, bullet lists or Entity(field, …) all work. Add “JWT authentication” and roles for a protected API.'),
    examples);

  const csvInput = h('input', { id: 'csv', name: 'csv', type: 'file', accept: '.csv,text/csv', 'aria-describedby': 'csv-hint' });
  const csvPreview = h('div', { class: 'csv-preview', 'aria-live': 'polite' });
  const csvPanel = h('div', { class: 'field', hidden: true },
    h('label', { for: 'csv' }, 'CSV file'),
    csvInput,
    h('p', { class: 'hint', id: 'csv-hint' },
      'A header row and some rows, UTF-8, up to 5 MB. Column types (numbers, dates, e-mails, booleans…) are inferred from the values by the built-in planner; the resource is named after the file.'),
    csvPreview);

  const nameInput = h('input', { id: 'name', name: 'name', type: 'text', maxlength: '120', 'aria-describedby': 'name-hint' });
  const nameField = h('div', { class: 'field' },
    h('label', { for: 'name' }, 'Project name ', h('span', { class: 'muted' }, '(optional)')),
    nameInput,
    h('p', { class: 'hint', id: 'name-hint' }, 'By default, the start of the description or the file name.'));

  const targetField = h('fieldset', { class: 'targets' },
    h('legend', null, 'Target'),
    h('label', { class: 'target', for: 'target-fastapi' },
      h('input', { type: 'radio', name: 'target', id: 'target-fastapi', value: 'fastapi', checked: true }),
      h('span', { class: 'target-name' }, 'FastAPI'),
      h('span', { class: 'target-desc' }, 'Python 3.11, SQLAlchemy, pytest, ruff')),
    h('label', { class: 'target disabled', for: 'target-express' },
      h('input', { type: 'radio', name: 'target', id: 'target-express', value: 'express', disabled: true, 'aria-describedby': 'express-note' }),
      h('span', { class: 'target-name' }, 'Express'),
      h('span', { class: 'target-desc', id: 'express-note' }, 'Node.js: not available yet')));

  // The planner of a description: the built-in one, or the server's LLM (offered once the
  // server says it has a provider). A CSV file is always read by the built-in planner.
  const llmInput = h('input', {
    type: 'radio', name: 'planner', id: 'planner-llm', value: 'llm', disabled: true, 'aria-describedby': 'planner-llm-note',
  });
  const llmNote = h('span', { class: 'target-note', id: 'planner-llm-note' }, 'Checking the server’s LLM providers…');
  const llmOption = h('label', { class: 'target disabled', for: 'planner-llm' },
    llmInput,
    h('span', { class: 'target-name' }, 'LLM'),
    h('span', { class: 'target-desc' }, 'The server’s configured model; falls back to the built-in planner', llmNote));
  const plannerField = h('fieldset', { class: 'targets planners' },
    h('legend', null, 'Planner'),
    h('label', { class: 'target', for: 'planner-builtin' },
      h('input', { type: 'radio', name: 'planner', id: 'planner-builtin', value: 'builtin', checked: true }),
      h('span', { class: 'target-name' }, 'Built-in'),
      h('span', { class: 'target-desc' }, 'Deterministic and offline: the same description gives the same API')),
    llmOption);
  system.health().then((health) => {
    const providers = health?.llm_providers ?? [];
    if (providers.length) {
      llmInput.disabled = false;
      llmOption.classList.remove('disabled');
      llmNote.textContent = `Uses ${providers.join(', then ')}.`;
    } else {
      llmNote.textContent = 'Not available: no LLM provider is configured on this server.';
    }
  }).catch(() => {
    llmNote.textContent = 'Not available: the server’s LLM providers could not be checked.';
  });

  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Generate API');
  const form = h('form', { class: 'card stack new-form', novalidate: true },
    sourceField, promptPanel, csvPanel, plannerField, nameField, targetField,
    errors,
    h('div', { class: 'row' }, submit, h('a', { href: '/', class: 'button link' }, 'Cancel')));

  const source = () => form.querySelector(`input[name="${sourceName}"]:checked`)?.value ?? 'prompt';
  sourceField.addEventListener('change', () => {
    const csv = source() === 'csv';
    promptPanel.hidden = csv;
    csvPanel.hidden = !csv;
    plannerField.hidden = csv;
    replace(errors);
  });

  let previewRun = 0;
  csvInput.addEventListener('change', async () => {
    replace(errors);
    const file = csvInput.files?.[0];
    if (!file) {
      replace(csvPreview);
      return;
    }
    const run = ++previewRun;
    replace(csvPreview, loading(`Reading ${file.name}…`));
    const data = new FormData();
    data.append(CSV_FIELD, file, file.name);
    try {
      const planned = await projects.plan(data);
      if (run === previewRun) replace(csvPreview, fieldsPreview(planned.manifest ?? planned));
    } catch (error) {
      if (run === previewRun) replace(csvPreview, errorBox(error));
    }
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(errors);
    const target = form.querySelector('input[name="target"]:checked')?.value ?? 'fastapi';
    const name = nameInput.value.trim() || undefined;
    let input;
    if (source() === 'csv') {
      const file = csvInput.files?.[0];
      if (!file) {
        replace(errors, errorBox({ problem: { title: 'Choose a CSV file', detail: 'Pick the file to build the API from, or switch to a description.' } }));
        csvInput.focus();
        return;
      }
      input = new FormData();
      input.append(CSV_FIELD, file, file.name);
      input.append('target', target);
      if (name) input.append('name', name);
    } else {
      const text = prompt.value.trim();
      if (!text) {
        prompt.setAttribute('aria-invalid', 'true');
        replace(errors, errorBox({ problem: { title: 'Describe your API', detail: 'Write what the API manages, or pick an example.' } }));
        prompt.focus();
        return;
      }
      prompt.removeAttribute('aria-invalid');
      const planner = form.querySelector('input[name="planner"]:checked')?.value ?? 'builtin';
      input = { prompt: text, target, planner, ...(name ? { name } : {}) };
    }
    submit.disabled = true;
    submit.textContent = 'Creating…';
    try {
      const created = await projects.create(input);
      ctx.navigate(`/projects/${encodeURIComponent(created.project.id)}`);
    } catch (error) {
      replace(errors, errorBox(error));
      submit.disabled = false;
      submit.textContent = 'Generate API';
    }
  });

  replace(main, h('section', { class: 'page narrow' },
    h('div', { class: 'page-head' }, h('h1', null, 'New project')),
    form));
}

/** The entities and fields the planner inferred from a CSV file. */
function fieldsPreview(manifest) {
  const entities = manifest?.entities ?? [];
  if (!entities.length) return h('p', { class: 'muted' }, 'No fields could be inferred from this file.');
  return entities.map((entity) => {
    return h('div', { class: 'table-wrap' }, h('table', { class: 'table compact' },
      h('caption', null,
        'Inferred resource ', h('strong', null, entity.name),
        entity.plural ? h('span', { class: 'muted' }, ` at /${entity.plural}`) : ''),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Field'),
        h('th', { scope: 'col' }, 'Type'),
        h('th', { scope: 'col' }, 'Required'),
        h('th', { scope: 'col' }, 'Unique'))),
      h('tbody', null, (entity.fields ?? []).map((field) => h('tr', null,
        h('td', null, h('code', null, field.name)),
        h('td', null, field.type + (field.values ? ` (${field.values.join(', ')})` : '')),
        h('td', null, field.required ? 'yes' : 'no'),
        h('td', null, field.unique ? 'yes' : 'no'))))));
  });
}
