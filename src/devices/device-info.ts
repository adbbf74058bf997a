import { UAParser } from 'ua-parser-js';
import type { DeviceType } from '../db/schema.js';

/** What a client may tell about its device; every field optional and already bounds-checked. */
export interface ClientDeviceInfo {
  deviceName?: string | null;
  deviceId?: string | null;
  os?: string | null;
  browser?: string | null;
  cpuCores?: number | null;
  ramGb?: number | null;
  internetSpeedMbps?: number | null;
}

/** The device columns of a session, as they are stored. */
export interface DeviceDetails {
  deviceName: string;
  deviceType: DeviceType;
  os: string | null;
  browser: string | null;
  deviceId: string | null;
  userAgent: string | null;
  cpuCores: number | null;
  ramGb: number | null;
  internetSpeedMbps: number | null;
}

export const USER_AGENT_MAX_LENGTH = 512;
const BOT_PATTERN = /bot\b|crawler|spider|crawling|slurp|facebookexternalhit|headlesschrome/i;

const DEVICE_TYPES: Record<string, DeviceType> = {
  mobile: 'MOBILE',
  tablet: 'TABLET',
  smarttv: 'TV',
  console: 'CONSOLE',
  wearable: 'WEARABLE',
  embedded: 'EMBEDDED',
};

// ua-parser's names where people use others.
const OS_NAMES: Record<string, string> = { 'Mac OS': 'macOS' };

interface ParsedUserAgent {
  os: string | null;
  /** OS name without its version, for labels. */
  osName: string | null;
  browser: string | null;
  /** Browser name without its version, for labels. */
  browserName: string | null;
  /** A hardware model people recognise ("iPhone", "SM-S911B"), for phones and tablets. */
  model: string | null;
  deviceType: DeviceType;
}

function parseUserAgent(userAgent: string | null): ParsedUserAgent {
  if (!userAgent) return { os: null, osName: null, browser: null, browserName: null, model: null, deviceType: 'UNKNOWN' };
  const { browser, os, device } = new UAParser(userAgent).getResult();
  const osName = os.name ? (OS_NAMES[os.name] ?? os.name) : null;
  // macOS user agents are frozen at 10.15.7 whatever the real version, so that number would mislead.
  const osVersion = os.version && osName !== 'macOS' ? os.version : null;
  const isSafari = browser.name?.includes('Safari') ?? false;
  const browserVersion = browser.major && !isSafari ? browser.major : null;
  const mappedType = device.type ? DEVICE_TYPES[device.type] : undefined;
  const deviceType: DeviceType = BOT_PATTERN.test(userAgent)
    ? 'BOT'
    : (mappedType ?? (browser.name || osName ? 'DESKTOP' : 'UNKNOWN'));
  return {
    os: osName ? [osName, osVersion].filter(Boolean).join(' ') : null,
    osName,
    browser: browser.name ? [browser.name, browserVersion].filter(Boolean).join(' ') : null,
    browserName: browser.name ?? null,
    model: (deviceType === 'MOBILE' || deviceType === 'TABLET') && device.model ? device.model : null,
    deviceType,
  };
}

/** "Chrome 124 on macOS", "Mobile Safari on iPhone", or null when there is nothing to say. */
function labelFor(browser: string | null, place: string | null): string | null {
  if (browser && place) return `${browser} on ${place}`;
  return browser ?? place;
}

/**
 * Merges what the client said with what its User-Agent says: the client's own
 * `deviceName`, `os` and `browser` win; the User-Agent fills the gaps and sets the type.
 */
export function describeDevice(input: ClientDeviceInfo | null | undefined, userAgentHeader: string | undefined, deviceIdHeader: string | undefined): DeviceDetails {
  const userAgent = userAgentHeader ? userAgentHeader.slice(0, USER_AGENT_MAX_LENGTH) : null;
  const parsed = parseUserAgent(userAgent);
  const os = input?.os ?? parsed.os;
  const browser = input?.browser ?? parsed.browser;
  const labelBrowser = input?.browser ?? (parsed.browser && parsed.model ? parsed.browserName : parsed.browser);
  return {
    deviceName: input?.deviceName ?? labelFor(labelBrowser, parsed.model ?? input?.os ?? parsed.osName) ?? 'Unknown device',
    deviceType: parsed.deviceType,
    os,
    browser,
    deviceId: input?.deviceId ?? deviceIdHeader ?? null,
    userAgent,
    cpuCores: input?.cpuCores ?? null,
    ramGb: input?.ramGb ?? null,
    internetSpeedMbps: input?.internetSpeedMbps ?? null,
  };
}
