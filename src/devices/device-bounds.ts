/**
 * The bounds of what a session records about its device, in one place: the input class refuses
 * values outside them, and what headers say (User-Agent, X-Device-Id, Client Hints) is held to
 * them too, since a header is as much the client's word as an input field.
 */

export interface NumberBounds {
  min: number;
  max: number;
}

/** `deviceName`, `deviceId`, `os`, `browser`, in characters. */
export const DEVICE_TEXT_MAX_LENGTH = 255;
/** The stored User-Agent is cut to this many characters. */
export const USER_AGENT_MAX_LENGTH = 512;
export const CPU_CORES: NumberBounds = { min: 1, max: 1024 };
export const RAM_GB: NumberBounds = { min: 0, max: 65_536 };
export const INTERNET_SPEED_MBPS: NumberBounds = { min: 0, max: 1_000_000 };

export function isWithin(value: number, { min, max }: NumberBounds): boolean {
  return Number.isFinite(value) && value >= min && value <= max;
}
