// The account page: where you're signed in, live. Built on the official client in cookie mode, so a
// reload keeps you signed in and no token is ever in localStorage.
import { createSessionClient, RateLimitedError, ReauthenticationRequiredError, SessionClientError, UnauthenticatedError, type RevocationReason, type Session, type User } from '../../client/index.js';
import { deviceIcon, h } from './dom.js';
import { activity, ago, eventInWords, place, reasonInWords, type SecurityEventNode } from './words.js';
import './app.css';

const SESSION_FIELDS = 'id deviceName deviceLabel deviceType os browser deviceId ipAddress location { city region country countryCode } createdAt lastActiveAt expiresAt isNewDevice isCurrent isDeviceBound';
const CHANGES = `subscription MySessionsChanged { mySessionsChanged { type session { ${SESSION_FIELDS} } } }`;
const EVENTS = `query MySecurityEvents($after: String) { mySecurityEvents(first: 10, after: $after) {
  edges { node { id type deviceName ipAddress isNewDevice actorServiceKey note createdAt } } pageInfo { hasNextPage endCursor } } }`;
const ME = 'query Me { me { id email externalId createdAt } }';

const client = createSessionClient({ url: 'graphql' });
const app = document.getElementById('app')!;
const rows = new Map<string, { session: Session; row: HTMLLIElement }>();
/** What the user asked for when the session ends by their own hand, to say so rather than a reason. */
let ending: 'logout' | 'everywhere' | null = null;
let stopListening: (() => void) | null = null;

client.onSignedOut((reason) => {
  stopListening?.();
  rows.clear();
  if (ending === 'logout') showSignIn('You signed out.');
  else showSignedOut(ending === 'everywhere' ? 'You signed out everywhere.' : `You were signed out: ${reasonInWords(reason as RevocationReason)}.`);
  ending = null;
});

/** A failure the user can act on, in words; `wrongCredentials` for a refused password, which the form knows best. */
function describeError(error: unknown, wrongCredentials = 'Wrong email or password.'): string {
  if (error instanceof RateLimitedError) return `Too many attempts. Try again in ${error.retryAfterSeconds} seconds.`;
  if (error instanceof SessionClientError) {
    if (error.code === 'INVALID_CREDENTIALS') return wrongCredentials;
    if (error.code === 'EMAIL_TAKEN') return 'An account with this email already exists: sign in instead.';
    if (error.status === 0) return 'Could not reach the server. Check your connection and try again.';
    return error.message;
  }
  return 'Something went wrong. Try again.';
}

function show(...children: Node[]): void {
  app.replaceChildren(...children);
  app.querySelector<HTMLElement>('[autofocus]')?.focus();
}

function showSignIn(notice?: string): void {
  let isSignUp = false;
  const error = h('p', { class: 'error', role: 'alert' });
  const title = h('h1', {}, 'Sign in');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const toggle = h('button', { type: 'button', class: 'link', onclick: () => {
    isSignUp = !isSignUp;
    title.textContent = isSignUp ? 'Create an account' : 'Sign in';
    submit.textContent = isSignUp ? 'Create account' : 'Sign in';
    toggle.textContent = isSignUp ? 'I have an account: sign in' : 'No account yet? Create one';
  } }, 'No account yet? Create one');
  const form = h('form', { class: 'card', onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const credentials = { email: String(data.get('email')), password: String(data.get('password')) };
    error.textContent = '';
    submit.disabled = true;
    (isSignUp ? client.signUp(credentials) : client.login(credentials))
      .then(() => showAccount())
      .catch((failure: unknown) => { error.textContent = describeError(failure); })
      .finally(() => { submit.disabled = false; });
  } },
  title,
  notice ? h('p', { class: 'notice' }, notice) : null,
  h('label', { for: 'email' }, 'Email'),
  h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true, autofocus: true }),
  h('label', { for: 'password' }, 'Password'),
  h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
  error, submit, toggle);
  show(form);
}

function showSignedOut(message: string): void {
  show(h('section', { class: 'card signed-out' },
    h('h1', {}, 'Signed out'),
    h('p', {}, message),
    h('button', { class: 'primary', autofocus: true, onclick: () => showSignIn() }, 'Sign in')));
}

/** Runs an action that ends other sessions; when the server asks for the password first, asks for it and runs it again. */
async function withSudo(action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof ReauthenticationRequiredError)) throw error;
    if (await askPassword()) await action();
  }
}

/** The password dialog of sudo mode: true once `reauthenticate` accepted it, false if cancelled. */
function askPassword(): Promise<boolean> {
  return new Promise((resolve) => {
    const error = h('p', { class: 'error', role: 'alert' });
    const input = h('input', { id: 'sudo-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    const dialog = h('dialog', { 'aria-labelledby': 'sudo-title' });
    const close = (isConfirmed: boolean) => { dialog.close(); dialog.remove(); resolve(isConfirmed); };
    const form = h('form', { onsubmit: (event) => {
      event.preventDefault();
      client.reauthenticate(input.value).then(() => close(true), (failure: unknown) => { error.textContent = describeError(failure, 'Wrong password.'); });
    } },
    h('h2', { id: 'sudo-title' }, 'Confirm it is you'),
    h('p', {}, 'Signing other devices out needs your password.'),
    h('label', { for: 'sudo-password' }, 'Password'), input, error,
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => close(false) }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary' }, 'Confirm')));
    dialog.addEventListener('cancel', () => resolve(false));
    dialog.append(form);
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}

function renderRow(session: Session): HTMLLIElement {
  const named = session.deviceName !== session.deviceLabel;
  const where = [place(session), session.ipAddress && `IP ${session.ipAddress}`].filter(Boolean).join(' · ');
  const nameLine = h('p', { class: 'name' }, session.deviceName,
    session.isCurrent ? h('span', { class: 'badge current' }, 'This device') : null,
    session.isNewDevice ? h('span', { class: 'badge new' }, 'New') : null,
    session.isDeviceBound ? h('span', { class: 'badge bound', title: 'Bound to a key that never leaves this device: a copy of its sign-in is useless anywhere else.' }, 'Device-bound') : null);
  const renameButton = h('button', { class: 'link', 'aria-label': `Rename ${session.deviceName}`, onclick: () => startRename(session, row, nameLine) }, 'Rename');
  const signOutButton = session.isCurrent ? null : h('button', {
    class: 'danger', 'aria-label': `Sign out ${session.deviceName}`,
    onclick: () => void withSudo(() => client.revokeSession(session.id)).then(() => removeRow(session.id), reportFailure),
  }, 'Sign out');
  const row = h('li', { class: 'device', 'data-session-id': session.id },
    deviceIcon(session.deviceType),
    h('div', { class: 'details' },
      nameLine,
      named ? h('p', { class: 'label' }, session.deviceLabel) : null,
      where ? h('p', { class: 'where' }, where) : null,
      h('p', { class: 'when' }, whenOf(session))),
    h('div', { class: 'row-actions' }, renameButton, signOutButton));
  return row;
}

function whenOf(session: Session): string {
  return `${activity(session)} · Signed in ${ago(session.createdAt)}`;
}

function startRename(session: Session, row: HTMLLIElement, nameLine: HTMLElement): void {
  const input = h('input', { 'aria-label': 'Device name', value: session.deviceName, maxlength: '255', required: true });
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'rename', onsubmit: (event) => {
    event.preventDefault();
    client.renameSession(session.id, input.value).then(upsertRow, (failure: unknown) => { error.textContent = describeError(failure); });
  } }, input, h('button', { type: 'submit', class: 'primary' }, 'Save'), h('button', { type: 'button', onclick: () => upsertRow(session) }, 'Cancel'), error);
  nameLine.replaceWith(form);
  row.querySelector('.row-actions')?.remove();
  input.focus();
  input.select();
}

/** Adds or replaces the session's row; the current session first, then the most recently active. */
function upsertRow(session: Session): void {
  const list = document.getElementById('devices');
  if (!list) return;
  const row = renderRow(session);
  const previous = rows.get(session.id);
  if (previous) previous.row.replaceWith(row);
  rows.set(session.id, { session, row });
  const order = [...rows.values()].sort((a, b) => Number(b.session.isCurrent) - Number(a.session.isCurrent) || b.session.lastActiveAt.localeCompare(a.session.lastActiveAt));
  list.append(...order.map(({ row: each }) => each));
  updateCount();
}

function removeRow(sessionId: string): void {
  rows.get(sessionId)?.row.remove();
  rows.delete(sessionId);
  updateCount();
}

function updateCount(): void {
  const count = document.getElementById('device-count');
  if (count) count.textContent = rows.size === 1 ? '1 device' : `${rows.size} devices`;
}

function reportFailure(error: unknown): void {
  const status = document.getElementById('status');
  if (status) status.textContent = describeError(error);
}

async function loadEvents(list: HTMLUListElement, more: HTMLButtonElement, after: string | null): Promise<void> {
  const { mySecurityEvents: page } = await client.request<{ mySecurityEvents: { edges: Array<{ node: SecurityEventNode }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(EVENTS, { after });
  if (!after) list.replaceChildren();
  for (const { node } of page.edges) {
    list.append(h('li', {},
      h('span', { class: 'what' }, eventInWords(node)),
      h('span', { class: 'where' }, node.ipAddress ?? ''),
      h('time', { class: 'when', datetime: node.createdAt }, ago(node.createdAt))));
  }
  more.hidden = !page.pageInfo.hasNextPage;
  more.onclick = () => void loadEvents(list, more, page.pageInfo.endCursor).catch(reportFailure);
}

async function showAccount(): Promise<void> {
  const [{ me }, sessions] = await Promise.all([client.request<{ me: User }>(ME), client.sessions()]);
  const devices = h('ul', { id: 'devices', class: 'devices', 'aria-labelledby': 'devices-title' });
  const events = h('ul', { class: 'events', 'aria-labelledby': 'activity-title' });
  const more = h('button', { class: 'link', hidden: true }, 'Show more');
  show(
    h('header', { class: 'top' },
      h('div', {}, h('h1', {}, "Where you're signed in"), h('p', { class: 'who' }, me.email ?? me.externalId ?? '')),
      h('button', { onclick: () => { ending = 'logout'; void client.logout().catch(reportFailure); } }, 'Sign out')),
    h('p', { id: 'status', class: 'error', role: 'status' }),
    h('section', { class: 'card' },
      h('div', { class: 'section-title' }, h('h2', { id: 'devices-title' }, 'Devices'), h('span', { id: 'device-count', class: 'count' })),
      devices,
      h('div', { class: 'actions' },
        h('button', { onclick: () => void withSudo(() => client.revokeOtherSessions()).catch(reportFailure) }, 'Sign out of all other devices'),
        h('button', { class: 'danger', onclick: () => {
          ending = 'everywhere';
          // Still signed in after it: the password dialog was cancelled, or the call failed.
          void withSudo(() => client.revokeAllSessions()).catch(reportFailure).finally(() => { if (client.isSignedIn()) ending = null; });
        } }, 'Sign out everywhere'))),
    h('section', { class: 'card' }, h('h2', { id: 'activity-title' }, 'Recent security activity'), events, more),
  );
  rows.clear();
  for (const session of sessions) upsertRow(session);
  await loadEvents(events, more, null);
  stopListening = client.subscribe<{ mySessionsChanged: { type: string; session: Session } }>(CHANGES, undefined, {
    next: ({ mySessionsChanged: { type, session } }) => {
      if (type === 'REVOKED') removeRow(session.id);
      else upsertRow(session);
      void loadEvents(events, more, null).catch(reportFailure);
    },
  });
}

// "Active now" becomes "Last active 3 minutes ago" as time passes, without a reload.
setInterval(() => {
  for (const { session, row } of rows.values()) row.querySelector('.when')!.textContent = whenOf(session);
  for (const time of document.querySelectorAll<HTMLTimeElement>('.events time')) time.textContent = ago(time.dateTime);
}, 30_000);

// Signed in when the cookie still holds a live session: one refresh tells.
client.refresh().then(
  () => showAccount(),
  (error: unknown) => (error instanceof UnauthenticatedError ? showSignIn() : showSignedOut(describeError(error))),
);
