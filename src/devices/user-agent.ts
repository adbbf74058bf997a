import { UAParser } from 'ua-parser-js';
import type { DeviceType } from '../db/schema.js';

/** What a User-Agent string says, in the words people use. */
export interface ParsedUserAgent {
  /** "Windows", "iOS 17.4", "Ubuntu". */
  os: string | null;
  /** "Chrome 124", "Safari", "Samsung Internet 24". */
  browser: string | null;
  /** A phone or tablet people recognise: "iPhone", "Galaxy S23". */
  model: string | null;
  deviceType: DeviceType;
  /** A whole label for clients that are not browsers: "Android app", "curl 8.5". */
  nativeLabel: string | null;
}

const BOT_PATTERN = /bot\b|crawler|spider|crawling|slurp|facebookexternalhit|headlesschrome|bingpreview|python-urllib/i;
const DEVICE_TYPES: Record<string, DeviceType> = {
  mobile: 'MOBILE', tablet: 'TABLET', smarttv: 'TV', console: 'CONSOLE', wearable: 'WEARABLE', embedded: 'EMBEDDED',
};
// ua-parser's names where people use others.
const OS_NAMES: Record<string, string> = { 'Mac OS': 'macOS', 'Chromium OS': 'ChromeOS' };
const BROWSER_NAMES: Record<string, string> = {
  'Mobile Safari': 'Safari', 'Mobile Chrome': 'Chrome', 'Mobile Firefox': 'Firefox', 'Samsung Browser': 'Samsung Internet',
  'Chrome WebView': 'Android WebView', 'Opera Mobi': 'Opera',
};
/** Samsung's model codes, by prefix (the suffix is the region): the phones people name. */
const SAMSUNG_MODELS: Array<[string, string]> = [
  ['SM-S928', 'Galaxy S24 Ultra'], ['SM-S926', 'Galaxy S24+'], ['SM-S921', 'Galaxy S24'],
  ['SM-S918', 'Galaxy S23 Ultra'], ['SM-S916', 'Galaxy S23+'], ['SM-S911', 'Galaxy S23'],
  ['SM-S908', 'Galaxy S22 Ultra'], ['SM-S906', 'Galaxy S22+'], ['SM-S901', 'Galaxy S22'],
  ['SM-G998', 'Galaxy S21 Ultra'], ['SM-G996', 'Galaxy S21+'], ['SM-G991', 'Galaxy S21'],
  ['SM-A556', 'Galaxy A55'], ['SM-A546', 'Galaxy A54'], ['SM-A536', 'Galaxy A53'], ['SM-A155', 'Galaxy A15'],
  ['SM-F946', 'Galaxy Z Fold5'], ['SM-F731', 'Galaxy Z Flip5'], ['SM-X710', 'Galaxy Tab S9'],
];
/** Clients that are not browsers, which announce themselves with a bare product token. */
const NATIVE_CLIENTS: Array<{ pattern: RegExp; label: (version: string | undefined) => string; os: string | null; deviceType: DeviceType }> = [
  { pattern: /^okhttp\/([\d.]+)/i, label: () => 'Android app', os: 'Android', deviceType: 'MOBILE' },
  { pattern: /CFNetwork\/[\d.]+ Darwin\/[\d.]+/, label: () => 'iOS app', os: 'iOS', deviceType: 'MOBILE' },
  { pattern: /^Dart\/([\d.]+)/, label: () => 'Flutter app', os: null, deviceType: 'UNKNOWN' },
  { pattern: /^curl\/(\d+\.\d+)/, label: (v) => `curl ${v}`, os: null, deviceType: 'UNKNOWN' },
  { pattern: /^Wget\/(\d+\.\d+)/, label: (v) => `Wget ${v}`, os: null, deviceType: 'UNKNOWN' },
  { pattern: /^python-requests\/(\d+\.\d+)/, label: (v) => `Python requests ${v}`, os: null, deviceType: 'UNKNOWN' },
  { pattern: /^Go-http-client\/([\d.]+)/, label: () => 'Go HTTP client', os: null, deviceType: 'UNKNOWN' },
  { pattern: /^PostmanRuntime\/(\d+\.\d+)/, label: (v) => `Postman ${v}`, os: null, deviceType: 'DESKTOP' },
];

export function parseUserAgent(userAgent: string | null): ParsedUserAgent {
  const empty: ParsedUserAgent = { os: null, browser: null, model: null, deviceType: 'UNKNOWN', nativeLabel: null };
  if (!userAgent) return empty;
  if (BOT_PATTERN.test(userAgent)) return { ...empty, browser: new UAParser(userAgent).getBrowser().name ?? null, deviceType: 'BOT' };
  for (const client of NATIVE_CLIENTS) {
    const match = client.pattern.exec(userAgent);
    if (match) return { ...empty, os: client.os, deviceType: client.deviceType, nativeLabel: client.label(match[1]) };
  }
  const { browser, os, device } = new UAParser(userAgent).getResult();
  const osName = os.name ? (OS_NAMES[os.name] ?? os.name) : null;
  const browserName = browser.name ? (BROWSER_NAMES[browser.name] ?? browser.name) : null;
  const deviceType = (device.type ? DEVICE_TYPES[device.type] : undefined) ?? (browserName || osName ? 'DESKTOP' : 'UNKNOWN');
  return {
    os: osName ? [osName, osVersion(osName, os.version)].filter(Boolean).join(' ') : null,
    // Safari's version only repeats the OS's.
    browser: browserName ? [browserName, browserName === 'Safari' ? null : browser.major].filter(Boolean).join(' ') : null,
    model: deviceType === 'MOBILE' || deviceType === 'TABLET' ? modelName(device.model) : null,
    deviceType,
    nativeLabel: null,
  };
}

/**
 * Versions the User-Agent can be trusted with: macOS's is frozen at 10.15.7 and Windows 11
 * still says NT 10.0, so those are left to Client Hints.
 */
function osVersion(osName: string, version: string | undefined): string | null {
  if (!version || osName === 'macOS' || osName === 'Windows') return null;
  return version;
}

export function modelName(model: string | undefined | null): string | null {
  if (!model) return null;
  return SAMSUNG_MODELS.find(([prefix]) => model.startsWith(prefix))?.[1] ?? model;
}
