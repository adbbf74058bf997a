/**
 * Text from clients that Postgres can store. It refuses NUL in text, and an unpaired UTF-16
 * surrogate (which JSON can carry as `"\ud800"`) has no UTF-8 form: either would fail its query
 * with an internal error, possibly after a password check. Inputs are refused before anything
 * runs; headers, which a client cannot be asked to fix, are cleaned.
 */

// Without the `u` flag a pattern sees UTF-16 code units, so it can find a half of a pair alone.
const MALFORMED = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// C0 and C1 controls, DEL included. Node refuses most C0 in headers, but passes tab and, read as
// latin1, the bytes 0x80-0x9F.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

export function isWellFormedText(text: string): boolean {
  return !MALFORMED.test(text);
}

/**
 * The fields of a resolver's arguments that hold text Postgres would refuse, named as in
 * BAD_USER_INPUT's `fields`: by their path from the argument (`refreshToken`, `input.device.deviceName`).
 */
export function findMalformedFields(args: Record<string, unknown>): string[] {
  return Object.entries(args).flatMap(([name, value]) => malformedIn(value, name));
}

function malformedIn(value: unknown, path: string): string[] {
  if (typeof value === 'string') return isWellFormedText(value) ? [] : [path];
  if (value === null || typeof value !== 'object') return [];
  const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item] as const) : Object.entries(value);
  return entries.flatMap(([key, item]) => malformedIn(item, path ? `${path}.${key}` : key));
}

/** A header's value without control characters, for a column or a log line. */
export function stripControlCharacters(value: string | undefined): string | undefined {
  return value?.replace(CONTROL_CHARACTERS, '');
}

/** The first `maxLength` characters (code points, as the inputs' bounds count them), never half of one. */
export function truncateText(text: string, maxLength: number): string {
  // No more code units than that means no more code points either.
  if (text.length <= maxLength) return text;
  return Array.from(text).slice(0, maxLength).join('');
}
