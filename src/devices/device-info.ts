import type { DeviceType } from '../db/schema.js';
import { truncateText } from '../text-input.js';
import type { ClientHints } from './client-hints.js';
import { DEVICE_TEXT_MAX_LENGTH, USER_AGENT_MAX_LENGTH } from './device-bounds.js';
import { modelName, parseUserAgent } from './user-agent.js';

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
  /** What the User-Agent and Client Hints say the device is, whatever the client calls it. */
  deviceLabel: string;
  deviceType: DeviceType;
  os: string | null;
  browser: string | null;
  deviceId: string | null;
  userAgent: string | null;
  cpuCores: number | null;
  ramGb: number | null;
  internetSpeedMbps: number | null;
}

/** What the request says about its device, besides the input. */
export interface DeviceSignals {
  userAgent?: string | undefined;
  deviceIdHeader?: string | undefined;
  hints?: ClientHints | null;
}

/** Within the input's bound: names composed from hints and the User-Agent can be longer. */
function bounded(text: string): string {
  return truncateText(text, DEVICE_TEXT_MAX_LENGTH);
}

/** "Chrome 124 on Windows 11", "Safari on iPhone", or null when there is nothing to say. */
function labelFor(browser: string | null, place: string | null): string | null {
  if (browser && place) return `${browser} on ${place}`;
  return browser ?? place;
}

/**
 * Merges what the client said with what its request says. The client's own `deviceName`, `os`
 * and `browser` win; then Client Hints, which are precise; then the frozen User-Agent string.
 */
export function describeDevice(input: ClientDeviceInfo | null | undefined, signals: DeviceSignals = {}): DeviceDetails {
  const userAgent = signals.userAgent ? signals.userAgent.slice(0, USER_AGENT_MAX_LENGTH) : null;
  const parsed = parseUserAgent(userAgent);
  const hints = signals.hints ?? null;
  const os = input?.os ?? hints?.os ?? parsed.os;
  const browser = input?.browser ?? hints?.browser ?? parsed.browser;
  const model = modelName(hints?.model) ?? parsed.model;
  const deviceType = hints?.isMobile && parsed.deviceType === 'DESKTOP' ? 'MOBILE' : parsed.deviceType;
  // A phone is named by its model, anything else by its OS; browser versions are dropped beside a model.
  const place = model ?? os;
  const labelBrowser = model && !input?.browser ? browser?.replace(/\s+[\d.]+$/, '') ?? null : browser;
  const deviceLabel = bounded(parsed.nativeLabel ?? labelFor(labelBrowser, place) ?? 'Unknown device');
  return {
    deviceName: input?.deviceName ? bounded(input.deviceName) : deviceLabel,
    deviceLabel,
    deviceType,
    os: os && bounded(os),
    browser: browser && bounded(browser),
    deviceId: input?.deviceId ?? signals.deviceIdHeader ?? null,
    userAgent,
    cpuCores: input?.cpuCores ?? null,
    ramGb: input?.ramGb ?? hints?.ramGb ?? null,
    internetSpeedMbps: input?.internetSpeedMbps ?? hints?.downlinkMbps ?? null,
  };
}
