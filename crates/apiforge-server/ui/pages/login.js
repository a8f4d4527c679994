// Sign in: an e-mail address gets a one-time link and a six-digit code (by mail, or in the
// server's log when no SMTP is configured); the code form is the way in without the link.

import { auth } from '../api.js';
import { errorBox, h, replace } from '../dom.js';

export function render(main, ctx) {
  ctx.title('Sign in');
  const next = safeNext(ctx.query.get('next'));
  const errors = h('div', { class: 'form-errors', 'aria-live': 'assertive' });
  const emailInput = h('input', {
    id: 'email', name: 'email', type: 'email', autocomplete: 'email', required: true,
    placeholder: 'ada@example.com', 'aria-describedby': 'email-hint',
  });
  const sendButton = h('button', { type: 'submit', class: 'button primary' }, 'Send link and code');
  const emailForm = h('form', { class: 'stack', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'email' }, 'E-mail address'),
      emailInput,
      h('p', { class: 'hint', id: 'email-hint' },
        'You get a one-time sign-in link and a six-digit code. Without mail set up, the server writes them to its log.')),
    sendButton);

  const codeInput = h('input', {
    id: 'code', name: 'code', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code',
    pattern: '[0-9]{6}', maxlength: '6', required: true, 'aria-describedby': 'code-hint', class: 'code-input',
  });
  const codeButton = h('button', { type: 'submit', class: 'button primary' }, 'Sign in');
  const sentTo = h('strong');
  const codeForm = h('form', { class: 'stack', novalidate: true, hidden: true },
    h('p', { class: 'notice notice-info', role: 'status' }, 'Check the mail sent to ', sentTo,
      ' (or the server log): open the link, or enter the code here.'),
    h('div', { class: 'field' },
      h('label', { for: 'code' }, 'Six-digit code'),
      codeInput,
      h('p', { class: 'hint', id: 'code-hint' }, 'The link and the code work once and expire after a few minutes.')),
    h('div', { class: 'row' },
      codeButton,
      h('button', { type: 'button', class: 'button link', onclick: () => showEmail() }, 'Use another address')));

  function showError(error) {
    replace(errors, errorBox(error));
  }
  function showEmail() {
    codeForm.hidden = true;
    emailForm.hidden = false;
    replace(errors);
    emailInput.focus();
  }

  emailForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(errors);
    const email = emailInput.value.trim();
    if (!email || !emailInput.checkValidity()) {
      emailInput.setAttribute('aria-invalid', 'true');
      showError({ problem: { title: 'Check the address', detail: 'Enter an e-mail address like ada@example.com.' } });
      emailInput.focus();
      return;
    }
    emailInput.removeAttribute('aria-invalid');
    sendButton.disabled = true;
    sendButton.textContent = 'Sending…';
    try {
      await auth.login(email);
      sentTo.textContent = email;
      emailForm.hidden = true;
      codeForm.hidden = false;
      codeInput.value = '';
      codeInput.focus();
    } catch (error) {
      showError(error);
    } finally {
      sendButton.disabled = false;
      sendButton.textContent = 'Send link and code';
    }
  });

  codeForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(errors);
    const code = codeInput.value.replace(/\s+/g, '');
    if (!/^[0-9]{6}$/.test(code)) {
      codeInput.setAttribute('aria-invalid', 'true');
      showError({ problem: { title: 'Check the code', detail: 'The code has six digits.' } });
      codeInput.focus();
      return;
    }
    codeButton.disabled = true;
    codeButton.textContent = 'Signing in…';
    try {
      const session = await auth.verifyCode(emailInput.value.trim(), code);
      window.dispatchEvent(new CustomEvent('apiforge:signed-in', { detail: session.user }));
      ctx.navigate(next, { replace: true });
    } catch (error) {
      codeInput.setAttribute('aria-invalid', 'true');
      showError(error.status === 401
        ? { problem: { title: 'That code did not work', detail: 'The code is wrong, already used or expired. Check it, or send a new one.' } }
        : error);
      codeInput.focus();
    } finally {
      codeButton.disabled = false;
      codeButton.textContent = 'Sign in';
    }
  });

  replace(main, h('section', { class: 'auth' },
    h('div', { class: 'card auth-card' },
      h('h1', null, 'Sign in to SmartAPIForge'),
      h('p', { class: 'muted' }, 'Describe an API, get a tested FastAPI project with its OpenAPI contract.'),
      errors,
      emailForm,
      codeForm)));
  emailInput.focus();
}

/** Only app paths: never send a signed-in user to another site. */
export function safeNext(next) {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}
