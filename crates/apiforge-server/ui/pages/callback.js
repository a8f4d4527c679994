// The magic link (`/auth/callback?token=…`): exchanges the token for a session cookie and
// goes to the dashboard. The token leaves the address bar at once.

import { auth } from '../api.js';
import { errorBox, h, loading, replace } from '../dom.js';

export async function render(main, ctx) {
  ctx.title('Signing in');
  const token = ctx.query.get('token');
  history.replaceState(null, '', '/auth/callback');
  const box = h('div', { class: 'card auth-card' }, h('h1', null, 'Signing you in'), loading('Checking your sign-in link…'));
  replace(main, h('section', { class: 'auth' }, box));
  if (!token) {
    replace(box, h('h1', null, 'This sign-in link is incomplete'),
      errorBox({ problem: { title: 'No token in the link', detail: 'Copy the whole link from the mail or the server log, or sign in with the code.' } }),
      h('p', null, h('a', { href: '/login', class: 'button primary' }, 'Go to sign in')));
    return;
  }
  try {
    const session = await auth.verifyToken(token);
    window.dispatchEvent(new CustomEvent('apiforge:signed-in', { detail: session.user }));
    ctx.navigate('/', { replace: true });
  } catch (error) {
    replace(box, h('h1', null, 'This sign-in link did not work'),
      errorBox(error.status === 401
        ? { problem: { title: 'Link expired or already used', detail: 'Sign-in links work once and expire after a few minutes. Ask for a new one.' } }
        : error),
      h('p', null, h('a', { href: '/login', class: 'button primary' }, 'Ask for a new link')));
  }
}
