// The app's entry: the session, the header, and a small history-API router that renders
// one page module at a time into <main>. Pages export `render(main, ctx)` and may return
// `{ dispose(), update(params) }`.

import { auth } from './api.js';
import { h, replace } from './dom.js';
import * as dashboard from './pages/dashboard.js';
import * as login from './pages/login.js';
import * as callback from './pages/callback.js';
import * as newProject from './pages/new.js';
import * as project from './pages/project.js';

const ROUTES = [
  { pattern: /^\/$/, page: dashboard, key: () => 'dashboard' },
  { pattern: /^\/login$/, page: login, key: () => 'login', public: true },
  { pattern: /^\/auth\/callback$/, page: callback, key: () => 'callback', public: true },
  { pattern: /^\/new$/, page: newProject, key: () => 'new' },
  {
    pattern: /^\/projects\/([^/]+)(?:\/([a-z]+))?$/,
    page: project,
    key: (m) => `project:${m[1]}`,
    params: (m) => ({ id: decodeURIComponent(m[1]), tab: m[2] ?? null }),
  },
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const account = document.getElementById('account');
const session = { user: undefined };
let current = null;
let firstRoute = true;

/** Goes to an app path (pushes history unless `replace`). */
export function navigate(path, { replace: replaceState = false } = {}) {
  if (replaceState) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  route();
}

/** Sets the document title: "Page · SmartAPIForge". */
export function title(text) {
  document.title = text ? `${text} · SmartAPIForge` : 'SmartAPIForge';
}

function renderNav() {
  const path = location.pathname;
  const link = (href, text, active) => h('a', { href, class: 'nav-link', 'aria-current': active ? 'page' : null }, text);
  if (!session.user) {
    replace(nav);
    replace(account);
    return;
  }
  replace(nav,
    link('/', 'Projects', path === '/' || path.startsWith('/projects/')),
    link('/new', 'New project', path === '/new'));
  replace(account,
    h('span', { class: 'account-email' }, h('span', { class: 'visually-hidden' }, 'Signed in as '), session.user.email),
    h('button', { type: 'button', class: 'button small', onclick: signOut }, 'Sign out'));
}

async function signOut() {
  try {
    await auth.logout();
  } catch {
    // Signed out already (expired session): the login page is the right place anyway.
  }
  session.user = null;
  navigate('/login');
}

async function route() {
  const path = location.pathname;
  const found = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  if (!found) {
    current?.handle?.dispose?.();
    current = null;
    title('Not found');
    replace(main, h('section', { class: 'page narrow' },
      h('h1', null, 'Page not found'),
      h('p', null, 'There is nothing at ', h('code', null, path), '.'),
      h('p', null, h('a', { href: '/' }, 'Back to your projects'))));
    renderNav();
    return;
  }
  const { r, m } = found;
  if (!r.public && !session.user) {
    if (session.user === undefined) {
      try {
        session.user = await auth.me();
      } catch {
        session.user = null;
      }
    }
    if (!session.user) {
      const next = path + location.search;
      history.replaceState(null, '', next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`);
      return route();
    }
  }
  const params = r.params ? r.params(m) : {};
  const key = r.key(m);
  renderNav();
  if (current && current.key === key && current.handle?.update) {
    current.handle.update(params);
    return;
  }
  current?.handle?.dispose?.();
  replace(main);
  const ctx = { params, session, navigate, title, query: new URLSearchParams(location.search) };
  current = { key, handle: null };
  const handle = await r.page.render(main, ctx);
  if (current?.key === key) current.handle = handle ?? null;
  // After a navigation inside the app, move focus to the new page's heading so keyboard and
  // screen-reader users start there (a fresh load starts at the top, at the skip link).
  const heading = main.querySelector('h1');
  if (heading && current?.key === key && !firstRoute) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
  firstRoute = false;
}

// Links inside the app change the route without reloading; API, preview and download
// links go to the server.
document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest?.('a[href]');
  if (!link || link.target || link.hasAttribute('download')) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || /^\/(api|p|ws|ui)\//.test(url.pathname)) return;
  event.preventDefault();
  if (url.pathname + url.search !== location.pathname + location.search) {
    navigate(url.pathname + url.search);
    if (!url.pathname.startsWith('/projects/') || !location.pathname.startsWith('/projects/')) {
      window.scrollTo(0, 0);
    }
  }
});

window.addEventListener('popstate', route);
window.addEventListener('apiforge:signed-out', () => {
  if (session.user) {
    session.user = null;
    navigate(`/login?next=${encodeURIComponent(location.pathname)}`, { replace: true });
  }
});
window.addEventListener('apiforge:signed-in', (event) => {
  session.user = event.detail;
});

route();
