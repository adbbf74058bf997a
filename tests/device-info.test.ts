import { describe, expect, it } from 'vitest';
import { readClientHints } from '../src/devices/client-hints.js';
import { describeDevice } from '../src/devices/device-info.js';
import { gql, loginUser, signUpUser } from './helpers/graphql.js';
import { startTestServer } from './helpers/server.js';

type Expected = { deviceName?: string; deviceType: string; os?: string | null; browser?: string | null };

// Real User-Agent strings, as the browsers, apps and bots send them.
const USER_AGENTS: Array<[string, string, Expected]> = [
  ['Chrome on macOS', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', { deviceName: 'Chrome 124 on macOS', deviceType: 'DESKTOP', os: 'macOS', browser: 'Chrome 124' }],
  ['Safari on macOS', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15', { deviceName: 'Safari on macOS', deviceType: 'DESKTOP', browser: 'Safari' }],
  ['Firefox on macOS', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0', { deviceName: 'Firefox 125 on macOS', deviceType: 'DESKTOP' }],
  ['Chrome on Windows', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', { deviceName: 'Chrome 124 on Windows', deviceType: 'DESKTOP', os: 'Windows' }],
  ['Edge on Windows', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67', { deviceName: 'Edge 124 on Windows', deviceType: 'DESKTOP' }],
  ['Firefox on Windows', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0', { deviceName: 'Firefox 126 on Windows', deviceType: 'DESKTOP' }],
  ['Opera on Windows', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 OPR/109.0.0.0', { deviceName: 'Opera 109 on Windows', deviceType: 'DESKTOP' }],
  ['Firefox on Windows 7', 'Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0', { deviceName: 'Firefox 115 on Windows', deviceType: 'DESKTOP' }],
  ['Firefox on Ubuntu', 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0', { deviceName: 'Firefox 126 on Ubuntu', deviceType: 'DESKTOP', os: 'Ubuntu' }],
  ['Chrome on Linux', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', { deviceName: 'Chrome 124 on Linux', deviceType: 'DESKTOP' }],
  ['Firefox on Fedora', 'Mozilla/5.0 (X11; Fedora; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', { deviceName: 'Firefox 125 on Fedora', deviceType: 'DESKTOP' }],
  ['Chrome on ChromeOS', 'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', { deviceType: 'DESKTOP', browser: 'Chrome 124' }],
  ['Safari on iPhone', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', { deviceName: 'Safari on iPhone', deviceType: 'MOBILE', os: 'iOS 17.4', browser: 'Safari' }],
  ['Chrome on iPhone', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.71 Mobile/15E148 Safari/604.1', { deviceName: 'Chrome on iPhone', deviceType: 'MOBILE' }],
  ['Firefox on iPhone', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15', { deviceName: 'Firefox on iPhone', deviceType: 'MOBILE' }],
  ['Safari on iPad', 'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', { deviceName: 'Safari on iPad', deviceType: 'TABLET', os: 'iOS 17.4' }],
  ['Samsung Internet on Galaxy S23', 'Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36', { deviceName: 'Samsung Internet on Galaxy S23', deviceType: 'MOBILE', os: 'Android 14', browser: 'Samsung Internet 24' }],
  ['Chrome on Galaxy S24 Ultra', 'Mozilla/5.0 (Linux; Android 14; SM-S928B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36', { deviceName: 'Chrome on Galaxy S24 Ultra', deviceType: 'MOBILE' }],
  ['Chrome on Pixel 8', 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36', { deviceName: 'Chrome on Pixel 8', deviceType: 'MOBILE', os: 'Android 14' }],
  ['Chrome on reduced Android UA', 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36', { deviceType: 'MOBILE', browser: 'Chrome 124' }],
  ['Firefox on Android', 'Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0', { deviceName: 'Firefox 125 on Android 14', deviceType: 'MOBILE' }],
  ['Android WebView', 'Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/118.0.0.0 Mobile Safari/537.36', { deviceName: 'Android WebView on Pixel 7', deviceType: 'MOBILE' }],
  ['Chrome on Galaxy Tab S9', 'Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', { deviceType: 'TABLET' }],
  ['Silk on Kindle Fire', 'Mozilla/5.0 (Linux; Android 9; KFMAWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/123.2.1 like Chrome/123.0.6312.118 Safari/537.36', { deviceType: 'TABLET' }],
  ['Samsung smart TV', 'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36', { deviceType: 'TV' }],
  ['LG webOS TV', 'Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.79 Safari/537.36 WebAppManager', { deviceType: 'TV' }],
  ['Apple TV', 'AppleTV11,1/11.1', { deviceType: 'TV' }],
  ['PlayStation 5', 'Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15', { deviceType: 'CONSOLE' }],
  ['Xbox', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox Series X) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/48.0.2564.82 Safari/537.36 Edge/20.02', { deviceType: 'CONSOLE' }],
  ['Nintendo Switch', 'Mozilla/5.0 (Nintendo Switch; WifiWebAuthApplet) AppleWebKit/606.4 (KHTML, like Gecko) NF/6.0.1.15.4 NintendoBrowser/5.1.0.20393', { deviceType: 'CONSOLE' }],
  ['Googlebot', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', { deviceType: 'BOT' }],
  ['Bingbot', 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', { deviceType: 'BOT' }],
  ['Facebook crawler', 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)', { deviceType: 'BOT' }],
  ['Headless Chrome', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36', { deviceType: 'BOT' }],
  ['Android app (okhttp)', 'okhttp/4.12.0', { deviceName: 'Android app', deviceType: 'MOBILE', os: 'Android' }],
  ['iOS app (CFNetwork)', 'MyApp/3.2.1 CFNetwork/1494.0.7 Darwin/23.4.0', { deviceName: 'iOS app', deviceType: 'MOBILE', os: 'iOS' }],
  ['Flutter app', 'Dart/3.3 (dart:io)', { deviceName: 'Flutter app', deviceType: 'UNKNOWN' }],
  ['curl', 'curl/8.5.0', { deviceName: 'curl 8.5', deviceType: 'UNKNOWN' }],
  ['Wget', 'Wget/1.21.4', { deviceName: 'Wget 1.21', deviceType: 'UNKNOWN' }],
  ['Python requests', 'python-requests/2.31.0', { deviceName: 'Python requests 2.31', deviceType: 'UNKNOWN' }],
  ['Go', 'Go-http-client/2.0', { deviceName: 'Go HTTP client', deviceType: 'UNKNOWN' }],
  ['Postman', 'PostmanRuntime/7.37.3', { deviceName: 'Postman 7.37', deviceType: 'DESKTOP' }],
];

// Client Hints as Chromium sends them once asked with Accept-CH, with the frozen User-Agent beside them.
const WINDOWS_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const REDUCED_ANDROID_UA = 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36';
const HINTS: Array<[string, string, Record<string, string>, Expected & { ramGb?: number; internetSpeedMbps?: number }]> = [
  ['Windows 11 through platform version 15', WINDOWS_UA, {
    'sec-ch-ua-full-version-list': '"Chromium";v="124.0.6367.61", "Google Chrome";v="124.0.6367.61", "Not-A.Brand";v="99.0.0.0"',
    'sec-ch-ua-platform': '"Windows"', 'sec-ch-ua-platform-version': '"15.0.0"', 'sec-ch-ua-mobile': '?0',
  }, { deviceName: 'Chrome 124 on Windows 11', deviceType: 'DESKTOP', os: 'Windows 11', browser: 'Chrome 124' }],
  ['Windows 10 through platform version 10', WINDOWS_UA, {
    'sec-ch-ua': '"Microsoft Edge";v="124", "Chromium";v="124", "Not-A.Brand";v="99"', 'sec-ch-ua-platform': '"Windows"', 'sec-ch-ua-platform-version': '"10.0.0"',
  }, { deviceName: 'Edge 124 on Windows 10', deviceType: 'DESKTOP', os: 'Windows 10' }],
  ['macOS version and memory', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', {
    'sec-ch-ua': '"Google Chrome";v="124", "Chromium";v="124", "Not-A.Brand";v="99"', 'sec-ch-ua-platform': '"macOS"', 'sec-ch-ua-platform-version': '"14.4.1"', 'device-memory': '8', downlink: '10',
  }, { deviceName: 'Chrome 124 on macOS 14', deviceType: 'DESKTOP', os: 'macOS 14', ramGb: 8, internetSpeedMbps: 10 }],
  ['Android model behind a reduced User-Agent', REDUCED_ANDROID_UA, {
    'sec-ch-ua': '"Google Chrome";v="124", "Chromium";v="124", "Not-A.Brand";v="99"', 'sec-ch-ua-platform': '"Android"', 'sec-ch-ua-platform-version': '"14.0.0"', 'sec-ch-ua-mobile': '?1', 'sec-ch-ua-model': '"SM-S911B"',
  }, { deviceName: 'Chrome on Galaxy S23', deviceType: 'MOBILE', os: 'Android 14' }],
  ['Brave on Linux', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', {
    'sec-ch-ua': '"Chromium";v="124", "Brave";v="124", "Not-A.Brand";v="99"', 'sec-ch-ua-platform': '"Linux"',
  }, { deviceName: 'Brave 124 on Linux', deviceType: 'DESKTOP' }],
];

describe('describeDevice', () => {
  it('covers at least 40 User-Agent strings and hint sets', () => {
    expect(USER_AGENTS.length + HINTS.length).toBeGreaterThanOrEqual(40);
  });

  it.each(USER_AGENTS)('reads %s', (_name, userAgent, expected) => {
    expect(describeDevice(undefined, { userAgent })).toMatchObject(expected);
  });

  it.each(HINTS)('prefers Client Hints: %s', (_name, userAgent, headers, expected) => {
    expect(describeDevice(undefined, { userAgent, hints: readClientHints(headers) })).toMatchObject(expected);
  });

  it('lets the client-given name, OS, browser and figures win over hints and the User-Agent', () => {
    const hints = readClientHints({ 'sec-ch-ua-platform': '"Windows"', 'sec-ch-ua-platform-version': '"15.0.0"', 'device-memory': '8' });
    const device = describeDevice({ deviceName: "Ada's laptop", os: 'Arch Linux', browser: 'Brave 1.66', ramGb: 32 }, { userAgent: WINDOWS_UA, hints });
    expect(device).toMatchObject({ deviceName: "Ada's laptop", os: 'Arch Linux', browser: 'Brave 1.66', deviceType: 'DESKTOP', ramGb: 32 });
    expect(describeDevice({ os: 'Linux', browser: 'Chrome 124' }).deviceName).toBe('Chrome 124 on Linux');
  });

  it('calls a device with nothing to go on "Unknown device", and ignores hints it cannot read', () => {
    expect(describeDevice(undefined)).toMatchObject({ deviceName: 'Unknown device', deviceType: 'UNKNOWN', userAgent: null });
    expect(readClientHints({})).toBeNull();
    expect(readClientHints({ 'device-memory': 'lots', 'sec-ch-ua-mobile': '?0' })).toMatchObject({ ramGb: null, isMobile: false });
  });

  it('takes the device id from input first, then from the X-Device-Id header', () => {
    expect(describeDevice({ deviceId: 'from-input' }, { deviceIdHeader: 'from-header' }).deviceId).toBe('from-input');
    expect(describeDevice({}, { deviceIdHeader: 'from-header' }).deviceId).toBe('from-header');
  });

  it('keeps cpuCores from input only', () => {
    expect(describeDevice({ cpuCores: 8, ramGb: 16, internetSpeedMbps: 45.2 }, { userAgent: WINDOWS_UA })).toMatchObject({ cpuCores: 8, ramGb: 16, internetSpeedMbps: 45.2 });
    expect(describeDevice(undefined, { userAgent: WINDOWS_UA })).toMatchObject({ cpuCores: null, ramGb: null, internetSpeedMbps: null });
  });
});

// Regression: Client Hints skipped the input's bounds: `Device-Memory: 999999` was stored as
// ramGb, and a 480-character model made a device name of over 1,100 characters.
describe('bounds on what headers say', () => {
  const LONG_MODEL = `"${'M'.repeat(480)}"`;
  const LONG_BRANDS = `"Google Chrome";v="${'1'.repeat(400)}", "Not-A.Brand";v="99"`;

  it('ignores hint figures outside the input bounds rather than clamping them', () => {
    expect(readClientHints({ 'device-memory': '999999', downlink: '1000001' })).toMatchObject({ ramGb: null, downlinkMbps: null });
    expect(readClientHints({ 'device-memory': '65536', downlink: '1000000' })).toMatchObject({ ramGb: 65_536, downlinkMbps: 1_000_000 });
    expect(readClientHints({ 'device-memory': '8', downlink: '1.45' })).toMatchObject({ ramGb: 8, downlinkMbps: 1.45 });
  });

  it('keeps every text column, the composed name included, within 255 characters', () => {
    const hints = readClientHints({ 'sec-ch-ua': LONG_BRANDS, 'sec-ch-ua-platform': `"${'P'.repeat(400)}"`, 'sec-ch-ua-mobile': '?1', 'sec-ch-ua-model': LONG_MODEL });
    const device = describeDevice(undefined, { userAgent: REDUCED_ANDROID_UA, hints });
    expect(device.deviceName).toHaveLength(255);
    expect(device.deviceName.startsWith(`Chrome on ${'M'.repeat(100)}`)).toBe(true);
    expect(device.os).toHaveLength(255);
    expect(device.browser).toHaveLength(255);
  });

  it('never cuts a character in two when shortening a name', () => {
    // Each input field is within its bound; together they make a longer name.
    const device = describeDevice({ browser: '😀'.repeat(200), os: '🐧'.repeat(200) });
    expect([...device.deviceName]).toHaveLength(255);
    expect(device.deviceName.endsWith('🐧')).toBe(true);
  });

  it('stores a login\'s hints within bounds, end to end', async () => {
    const server = await startTestServer();
    try {
      const user = await signUpUser(server);
      const login = await loginUser(server, user.user.email, {}, {
        'user-agent': REDUCED_ANDROID_UA, 'sec-ch-ua': LONG_BRANDS, 'sec-ch-ua-mobile': '?1', 'sec-ch-ua-model': LONG_MODEL,
        'device-memory': '999999', downlink: '5000000',
      });
      const listed = await gql<{ mySessions: Array<{ id: string; deviceName: string; ramGb: number | null; internetSpeedMbps: number | null }> }>(
        server, '{ mySessions { id deviceName ramGb internetSpeedMbps } }', { token: login.accessToken },
      );
      const session = listed.data!.mySessions.find((listedSession) => listedSession.id === login.session.id)!;
      expect(session).toMatchObject({ ramGb: null, internetSpeedMbps: null });
      expect(session.deviceName.length).toBeLessThanOrEqual(255);
    } finally {
      await server.close();
    }
  });
});

describe('Client Hints over HTTP', () => {
  it('asks for them with Accept-CH and uses them at sign-in', async () => {
    const server = await startTestServer();
    try {
      const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      expect(response.headers.get('accept-ch')).toContain('Sec-CH-UA-Platform-Version');
      const user = await signUpUser(server, {}, { 'user-agent': WINDOWS_UA, 'sec-ch-ua-platform': '"Windows"', 'sec-ch-ua-platform-version': '"15.0.0"', 'sec-ch-ua': '"Google Chrome";v="124"' });
      const listed = await gql(server, '{ mySessions { deviceName os } }', { token: user.accessToken });
      expect(listed.data!.mySessions).toEqual([{ deviceName: 'Chrome 124 on Windows 11', os: 'Windows 11' }]);
    } finally {
      await server.close();
    }
  });
});
