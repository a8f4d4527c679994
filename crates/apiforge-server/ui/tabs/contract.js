// Contract: the OpenAPI document rendered by the Swagger UI the server vendors at
// /api/docs/ (read-only here: "Try it" lives in the Preview tab), and its downloads.

import { projects } from '../api.js';
import { errorBox, h, loading, replace } from '../dom.js';

const SWAGGER_JS = '/api/docs/swagger-ui-bundle.js';
const SWAGGER_CSS = '/api/docs/swagger-ui.css';
let swaggerLoaded = null;

/** Loads Swagger UI's script and stylesheet once per page. */
export function loadSwagger() {
  if (window.SwaggerUIBundle) return Promise.resolve(window.SwaggerUIBundle);
  swaggerLoaded ??= new Promise((resolve, reject) => {
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = SWAGGER_CSS;
    document.head.append(css);
    const script = document.createElement('script');
    script.src = SWAGGER_JS;
    script.onload = () => (window.SwaggerUIBundle ? resolve(window.SwaggerUIBundle) : reject(new Error('Swagger UI did not load')));
    script.onerror = () => {
      swaggerLoaded = null;
      reject(new Error(`${SWAGGER_JS} could not be loaded`));
    };
    document.head.append(script);
  });
  return swaggerLoaded;
}

export function render(section, { id, version }) {
  const specUrl = (format) => projects.specUrl(id, format);
  const holder = h('div', { class: 'swagger-holder' }, loading('Rendering the contract…'));
  replace(section,
    h('div', { class: 'tab-head' },
      h('div', null,
        h('h2', { id: 'tab-title' }, 'Contract'),
        h('p', { class: 'muted' }, `OpenAPI 3.1 of version ${version}: the source of truth the code and tests follow.`)),
      h('div', { class: 'row' },
        h('a', { class: 'button', href: `${specUrl('yaml')}&version=${version}`, download: 'openapi.yaml' }, 'Download YAML'),
        h('a', { class: 'button', href: `${specUrl('json')}&version=${version}`, download: 'openapi.json' }, 'Download JSON'))),
    holder);

  let disposed = false;
  loadSwagger().then((SwaggerUIBundle) => {
    if (disposed) return;
    const dom = h('div', { class: 'swagger-contract' });
    replace(holder, dom);
    SwaggerUIBundle({
      domNode: dom,
      url: `${specUrl('json')}&version=${version}`,
      supportedSubmitMethods: [],
      deepLinking: false,
      docExpansion: 'list',
      defaultModelsExpandDepth: 0,
      displayRequestDuration: false,
      syntaxHighlight: { activated: true, theme: 'agate' },
      validatorUrl: null,
    });
  }).catch((error) => {
    if (!disposed) replace(holder, errorBox(error));
  });
  return {
    dispose() {
      disposed = true;
    },
  };
}
