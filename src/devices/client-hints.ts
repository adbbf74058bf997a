import type { IncomingHttpHeaders } from 'node:http';
import { stripControlCharacters } from '../text-input.js';
import { INTERNET_SPEED_MBPS, isWithin, RAM_GB, type NumberBounds } from './device-bounds.js';

/** The User-Agent Client Hints this server asks for, sent back in `Accept-CH` on every response. */
export const ACCEPTED_CLIENT_HINTS = [
  'Sec-CH-UA-Full-Version-List', 'Sec-CH-UA-Platform-Version', 'Sec-CH-UA-Model', 'Sec-CH-UA-Mobile', 'Sec-CH-UA-Platform',
  'Device-Memory', 'Downlink',
].join(', ');

/** What Client Hints headers say, each already read into plain values. */
export interface ClientHints {
  /** "Chrome 124", from the full version list or `Sec-CH-UA`. */
  browser: string | null;
  /** "Windows 11", "macOS 14", "Android 14". */
  os: string | null;
  isMobile: boolean | null;
  model: string | null;
  /** GiB, from `Device-Memory`. */
  ramGb: number | null;
  /** Mbps, from `Downlink`. */
  downlinkMbps: number | null;
}

const BRAND_NAMES: Record<string, string> = {
  'Google Chrome': 'Chrome', 'Microsoft Edge': 'Edge', 'Opera': 'Opera', 'Brave': 'Brave',
  'Samsung Internet': 'Samsung Internet', 'Vivaldi': 'Vivaldi', 'YaBrowser': 'Yandex Browser',
};
/** A hint longer than this is ignored: no browser sends one. */
export const CLIENT_HINT_MAX_LENGTH = 512;

/** Reads the hints from request headers; null when the client sent none. */
export function readClientHints(headers: IncomingHttpHeaders): ClientHints | null {
  const header = (name: string) => {
    const value = headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    return text && text.length <= CLIENT_HINT_MAX_LENGTH ? stripControlCharacters(text) : undefined;
  };
  const brands = header('sec-ch-ua-full-version-list') ?? header('sec-ch-ua');
  const platform = unquote(header('sec-ch-ua-platform'));
  const mobile = header('sec-ch-ua-mobile');
  if (!brands && !platform && !mobile && !header('device-memory') && !header('downlink')) return null;
  return {
    browser: brands ? browserOf(brands) : null,
    os: platform ? osOf(platform, unquote(header('sec-ch-ua-platform-version'))) : null,
    isMobile: mobile === '?1' ? true : mobile === '?0' ? false : null,
    model: unquote(header('sec-ch-ua-model')) || null,
    ramGb: boundedFigure(header('device-memory'), RAM_GB),
    downlinkMbps: boundedFigure(header('downlink'), INTERNET_SPEED_MBPS),
  };
}

/** The most specific real brand: not Chromium when a product built on it is named, never a GREASE brand. */
function browserOf(list: string): string | null {
  const entries = [...list.matchAll(/"([^"]+)"\s*;\s*v="([^"]+)"/g)].map(([, brand, version]) => ({ brand: brand!, major: version!.split('.')[0]! }));
  const known = entries.find(({ brand }) => BRAND_NAMES[brand]) ?? entries.find(({ brand }) => brand === 'Chromium');
  if (!known) return null;
  return `${BRAND_NAMES[known.brand] ?? known.brand} ${known.major}`;
}

/** Windows 11 reports platform version 13 or later; 1 to 10 are Windows 10. */
function osOf(platform: string, version: string | undefined): string {
  const major = version ? Number(version.split('.')[0]) : Number.NaN;
  if (platform === 'Windows') {
    if (major >= 13) return 'Windows 11';
    if (major >= 1) return 'Windows 10';
    return 'Windows';
  }
  if (Number.isFinite(major) && major > 0 && ['macOS', 'Android', 'iOS', 'Chrome OS'].includes(platform)) return `${platform} ${major}`;
  return platform;
}

function unquote(value: string | undefined): string | undefined {
  return value?.replace(/^"|"$/g, '');
}

/**
 * A hint's figure when it is positive and within the input's bounds, else null: a value no
 * browser sends (they cap Device-Memory at 8 and Downlink at 10) is ignored, not clamped into a
 * plausible one.
 */
function boundedFigure(value: string | undefined, bounds: NumberBounds): number | null {
  const number = value === undefined ? Number.NaN : Number(value);
  return number > 0 && isWithin(number, bounds) ? number : null;
}
