// Settings: who the project is shared with (the owner adds people by e-mail as editors or
// viewers, and removes them) and, for the owner, deleting the project (after a confirmation
// dialog), which returns to the dashboard.

import { projects } from '../api.js';
import { ago, errorBox, h, loading, replace, setFlash, when } from '../dom.js';

const ROLE_LABELS = { owner: 'Owner', editor: 'Editor', viewer: 'Viewer' };
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function render(section, { id, project, navigate, user }) {
  const owner = project.role === 'owner';
  const membersBox = h('div', { class: 'members' }, loading('Loading the members…'));
  const announce = h('p', { class: 'visually-hidden', role: 'status' });
  let disposed = false;
  let dialog = null;

  // ---------------------------------------------------------------- members

  async function loadMembers() {
    let members;
    try {
      members = await projects.members(id);
    } catch (error) {
      if (!disposed) replace(membersBox, errorBox(error, loadMembers));
      return;
    }
    if (disposed) return;
    replace(membersBox, membersTable(members));
  }

  function membersTable(members) {
    // Explicit roles: on a narrow screen the rows are laid out as blocks, and stay a table.
    return h('div', { class: 'table-wrap flat' }, h('table', { class: 'table compact members-table', role: 'table' },
      h('caption', { class: 'visually-hidden' }, 'People with access'),
      h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' },
        h('th', { scope: 'col', role: 'columnheader' }, 'Person'),
        h('th', { scope: 'col', role: 'columnheader' }, 'Role'),
        h('th', { scope: 'col', role: 'columnheader' }, 'Since'),
        owner && h('th', { scope: 'col', role: 'columnheader' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      h('tbody', { role: 'rowgroup' }, members.map((m) => h('tr', { role: 'row', 'data-email': m.email },
        h('th', { scope: 'row', role: 'rowheader', class: 'member-email' }, m.email,
          m.email === user?.email && h('span', { class: 'muted' }, ' (you)')),
        h('td', { role: 'cell' }, h('span', { class: `role role-${m.role}` }, ROLE_LABELS[m.role] ?? m.role)),
        h('td', { role: 'cell' }, h('time', { datetime: new Date(m.created_at).toISOString(), title: when(m.created_at) }, ago(m.created_at))),
        owner && h('td', { role: 'cell', class: 'member-actions' }, m.role === 'owner' ? null : removeButton(m)))))));
  }

  function removeButton(member) {
    const button = h('button', { type: 'button', class: 'button small', 'aria-label': `Remove ${member.email}` }, 'Remove');
    button.addEventListener('click', async () => {
      button.disabled = true;
      button.textContent = 'Removing…';
      replace(shareErrors);
      try {
        await projects.unshare(id, member.user_id);
        announce.textContent = `Removed ${member.email}.`;
        await loadMembers();
        emailInput?.focus();
      } catch (error) {
        button.disabled = false;
        button.textContent = 'Remove';
        replace(shareErrors, errorBox(error));
      }
    });
    return button;
  }

  // ---------------------------------------------------------------- share form

  const shareErrors = h('div', { class: 'form-errors', 'aria-live': 'assertive' });
  let emailInput = null;
  let shareForm = null;
  if (owner) {
    emailInput = h('input', {
      id: 'share-email', name: 'email', type: 'email', autocomplete: 'off', spellcheck: 'false',
      placeholder: 'name@example.com', 'aria-describedby': 'share-hint',
    });
    const roleSelect = h('select', { id: 'share-role', name: 'role' },
      h('option', { value: 'viewer' }, 'Viewer'),
      h('option', { value: 'editor' }, 'Editor'));
    const submit = h('button', { type: 'submit', class: 'button primary' }, 'Share');
    shareForm = h('form', { class: 'share-form', novalidate: true, 'aria-labelledby': 'share-title' },
      h('h4', { id: 'share-title', class: 'visually-hidden' }, 'Share with someone'),
      h('div', { class: 'share-fields' },
        h('div', { class: 'field share-email' }, h('label', { for: 'share-email' }, 'E-mail address'), emailInput),
        h('div', { class: 'field' }, h('label', { for: 'share-role' }, 'Role'), roleSelect),
        submit),
      h('p', { class: 'hint', id: 'share-hint' },
        'Viewers read everything; editors also change the description and regenerate. Someone without an account signs in with a link sent to this address. Share again to change a role.'),
      shareErrors);
    shareForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      replace(shareErrors);
      const email = emailInput.value.trim();
      if (!EMAIL.test(email)) {
        emailInput.setAttribute('aria-invalid', 'true');
        replace(shareErrors, errorBox({ problem: { title: 'Check the address', detail: 'Enter an e-mail address such as name@example.com.' } }));
        emailInput.focus();
        return;
      }
      emailInput.removeAttribute('aria-invalid');
      submit.disabled = true;
      submit.textContent = 'Sharing…';
      try {
        const member = await projects.share(id, email, roleSelect.value);
        announce.textContent = `Shared with ${member.email} as ${member.role}.`;
        emailInput.value = '';
        await loadMembers();
      } catch (error) {
        replace(shareErrors, errorBox(error));
      } finally {
        submit.disabled = false;
        submit.textContent = 'Share';
        emailInput.focus();
      }
    });
  }

  // ---------------------------------------------------------------- delete

  let danger = null;
  if (owner) {
    const open = h('button', { type: 'button', class: 'button danger-outline' }, 'Delete project…');
    open.addEventListener('click', () => {
      dialog?.remove();
      dialog = deleteDialog(open);
      section.append(dialog);
      dialog.showModal();
    });
    danger = h('section', { class: 'card danger-zone', 'aria-labelledby': 'delete-title' },
      h('div', null,
        h('h3', { id: 'delete-title', class: 'card-title' }, 'Delete this project'),
        h('p', { class: 'muted' }, 'Every version, its files and the live preview go, for everyone the project is shared with. This cannot be undone.')),
      open);
  }

  function deleteDialog(opener) {
    const errors = h('div', { class: 'form-errors', 'aria-live': 'assertive' });
    const cancel = h('button', { type: 'button', class: 'button', autofocus: true }, 'Cancel');
    const confirm = h('button', { type: 'button', class: 'button danger' }, 'Delete project');
    const box = h('dialog', { class: 'dialog', 'aria-labelledby': 'delete-dialog-title', 'aria-describedby': 'delete-dialog-text' },
      h('h2', { id: 'delete-dialog-title' }, `Delete “${project.name}”?`),
      h('p', { id: 'delete-dialog-text' },
        project.current_version
          ? `Its ${project.current_version === 1 ? 'version' : `${project.current_version} versions`}, their files and its live preview are deleted, for you and for everyone it is shared with. This cannot be undone.`
          : 'The project is deleted, for you and for everyone it is shared with. This cannot be undone.'),
      errors,
      h('div', { class: 'row dialog-actions' }, cancel, confirm));
    cancel.addEventListener('click', () => box.close());
    box.addEventListener('cancel', (event) => {
      if (confirm.disabled) event.preventDefault();
    });
    box.addEventListener('close', () => {
      if (!disposed && opener.isConnected) opener.focus();
    });
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      cancel.disabled = true;
      confirm.textContent = 'Deleting…';
      replace(errors);
      try {
        await projects.remove(id);
        setFlash(`Deleted “${project.name}”.`);
        box.close();
        navigate('/');
      } catch (error) {
        confirm.disabled = false;
        cancel.disabled = false;
        confirm.textContent = 'Delete project';
        replace(errors, errorBox(error));
      }
    });
    return box;
  }

  // ---------------------------------------------------------------- the tab

  const role = ROLE_LABELS[project.role]?.toLowerCase() ?? project.role;
  replace(section,
    h('div', { class: 'tab-head' },
      h('div', null,
        h('h2', { id: 'tab-title' }, 'Settings'),
        h('p', { class: 'muted' }, owner
          ? 'Who can see and change this project, and deleting it.'
          : `You are ${role === 'editor' ? 'an editor' : 'a viewer'} of this project: its owner decides who else can see it.`))),
    h('section', { class: 'card', 'aria-labelledby': 'sharing-title' },
      h('h3', { id: 'sharing-title', class: 'card-title' }, 'Sharing'),
      membersBox,
      shareForm,
      announce),
    danger);
  loadMembers();

  return {
    dispose() {
      disposed = true;
      if (dialog?.open) dialog.close();
      dialog?.remove();
    },
  };
}
