// Download: the project as a zip, its Postman collection and its contract.

import { projects, saveResponse } from '../api.js';
import { bytes, errorBox, h, replace } from '../dom.js';

export function render(section, { id, project, version }) {
  const status = h('div', { class: 'download-status', 'aria-live': 'polite' });
  const zipButton = h('button', { type: 'button', class: 'button primary', 'data-download': 'zip' }, 'Download zip');
  zipButton.addEventListener('click', async () => {
    zipButton.disabled = true;
    zipButton.textContent = 'Preparing…';
    replace(status);
    try {
      const response = await projects.exportZip(id, version);
      const saved = await saveResponse(response, `project-v${version}.zip`);
      replace(status, h('p', { class: 'notice notice-ok', role: 'status' }, `Saved ${saved.name} (${bytes(saved.size)}).`));
    } catch (error) {
      replace(status, errorBox(error));
    } finally {
      zipButton.disabled = false;
      zipButton.textContent = 'Download zip';
    }
  });
  const item = (titleText, text, ...actions) => h('li', { class: 'card download-item' },
    h('div', null, h('h3', { class: 'card-title' }, titleText), h('p', { class: 'muted' }, text)),
    h('div', { class: 'row' }, actions));
  replace(section,
    h('div', { class: 'tab-head' },
      h('div', null,
        h('h2', { id: 'tab-title' }, 'Download'),
        h('p', { class: 'muted' }, `Take version ${version} of ${project.name} with you.`))),
    h('ul', { class: 'downloads' },
      item('Project (zip)', 'The whole project: code, tests, contract, Dockerfile, CI workflow and README. Unzip, then follow its README.', zipButton),
      item('Postman collection', 'Every operation as a Postman v2.1 collection, with example bodies.',
        h('a', { class: 'button', href: `${projects.postmanUrl(id)}?version=${version}`, download: 'postman_collection.json' }, 'Download collection')),
      item('OpenAPI contract', 'The OpenAPI 3.1 document, for clients, gateways and code generators.',
        h('a', { class: 'button', href: `${projects.specUrl(id, 'yaml')}&version=${version}`, download: 'openapi.yaml' }, 'YAML'),
        h('a', { class: 'button', href: `${projects.specUrl(id, 'json')}&version=${version}`, download: 'openapi.json' }, 'JSON'))),
    status);
}
