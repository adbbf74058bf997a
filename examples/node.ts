import WebSocket from 'ws';
import { createSessionClient } from 'session-device-server/client';

/** Signs in, lists the account's devices, and signs out again. */
export async function listDevices(url: string, email: string, password: string): Promise<string[]> {
  // Node 20 has no WebSocket of its own; the refresh token stays in memory unless `storage` is given.
  const client = createSessionClient({ url, webSocketImpl: WebSocket });
  client.onSignedOut((reason) => console.log(`signed out: ${reason}`));

  await client.login({ email, password, device: { deviceName: 'Nightly report' } });
  const devices = (await client.sessions()).map((session) => `${session.deviceName}${session.isCurrent ? ' (this one)' : ''}`);
  await client.logout();
  client.dispose();
  return devices;
}
