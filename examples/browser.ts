import { createSessionClient } from 'session-device-server/client';

// Same origin as the API: the refresh token stays in an HttpOnly cookie, the access token in memory.
const client = createSessionClient({ url: '/graphql' });

// Fires once, in every tab, however the session ended: logout, revoked elsewhere, expired…
client.onSignedOut((reason) => {
  document.querySelector('#status')!.textContent = `Signed out (${reason}).`;
});

export async function signIn(email: string, password: string): Promise<void> {
  await client.login({ email, password, device: { deviceName: 'My browser' } });
  await showDevices();
}

// After a reload, the first request gets a new access token from the cookie.
export async function showDevices(): Promise<void> {
  const items = (await client.sessions()).map((session) => {
    const item = document.createElement('li');
    item.textContent = `${session.deviceName}${session.isCurrent ? ' (this device)' : ''}`;
    return item;
  });
  document.querySelector('#devices')!.replaceChildren(...items);
}
