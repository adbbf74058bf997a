import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse, serialize, type SerializeOptions } from 'cookie';
import type { Clock } from './clock.js';

/**
 * The cookie of cookie mode. `__Host-` makes the browser insist on Secure, Path=/ and no Domain, so
 * no subdomain or plain-HTTP page can set or shadow it (browsers count http://localhost as secure).
 */
export const REFRESH_COOKIE_NAME = '__Host-refresh-token';

/**
 * The refresh token, out of JavaScript's reach: HttpOnly against XSS, SameSite=Strict so no other
 * site's page can make the browser send it.
 */
const ATTRIBUTES: SerializeOptions = { httpOnly: true, secure: true, sameSite: 'strict', path: '/' };

/** One HTTP request's refresh cookie: what it carried, and what its response sets. */
export interface RefreshCookie {
  /** The refresh token the request carried in the cookie, if any. */
  read(): string | undefined;
  /** Sets the cookie to live as long as the session: until `sessionExpiresAt`. */
  set(refreshToken: string, sessionExpiresAt: Date): void;
  /** Tells the browser to drop it, when the request carried one. */
  clear(): void;
}

export function refreshCookieOf(request: IncomingMessage, response: ServerResponse, clock: Clock): RefreshCookie {
  const read = () => (request.headers.cookie ? parse(request.headers.cookie)[REFRESH_COOKIE_NAME] : undefined);
  const write = (value: string, maxAge: number) => {
    response.appendHeader('Set-Cookie', serialize(REFRESH_COOKIE_NAME, value, { ...ATTRIBUTES, maxAge }));
  };
  return {
    read,
    set: (refreshToken, sessionExpiresAt) => write(refreshToken, Math.max(0, Math.floor((sessionExpiresAt.getTime() - clock.now().getTime()) / 1000))),
    clear: () => {
      if (read() !== undefined) write('', 0);
    },
  };
}
