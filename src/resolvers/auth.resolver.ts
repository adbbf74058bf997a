import { Arg, Args, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { normalizeEmail, type SignInOrigin } from '../auth/account-service.js';
import type { IssuedSession } from '../auth/session-shapes.js';
import { callerOf, deviceKeyOf, requestOriginOf, serviceCallerOf, type Context } from '../context.js';
import { readClientHints } from '../devices/client-hints.js';
import { normalizeIp } from '../devices/client-ip.js';
import { DEVICE_TEXT_MAX_LENGTH } from '../devices/device-bounds.js';
import { describeDevice } from '../devices/device-info.js';
import type { PasswordRefusal } from '../auth/password-check.js';
import { BadUserInputError, EmailTakenError, InvalidCredentialsError, InvalidDpopProofError, RateLimitedError, UnauthenticatedError, type AppError } from '../errors.js';
import { AuthPayload } from '../types/auth-payload.type.js';
import { ChangePasswordArgs, LoginArgs, ReauthenticateArgs, SignUpArgs } from '../types/auth.args.js';
import type { DeviceInfoInput } from '../types/auth.input.js';
import { IssueSessionArgs, headersOfHints } from '../types/issue-session.input.js';
import { toSession } from '../types/session.type.js';
import { stripControlCharacters } from '../text-input.js';
import type { RefreshCookie } from '../refresh-cookie.js';

const REFRESH_TOKEN_MAX_LENGTH = 512;

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload, { description: 'Creates the account and its first session.' })
  async signUp(@Args(() => SignUpArgs) { input }: SignUpArgs, @Ctx() context: Context): Promise<AuthPayload> {
    const email = requireEmail(input.email);
    const cookie = cookieFor(context, input.refreshTokenInCookie);
    const result = await context.services.accounts.signUp(email, input.password, await originOf(context, input.device));
    if (!result.ok) throw refusalError(result);
    return toAuthPayload(result.issued, cookie);
  }

  @Mutation(() => AuthPayload, { description: 'Signs in, creating a new session every time.' })
  async login(@Args(() => LoginArgs) { input }: LoginArgs, @Ctx() context: Context): Promise<AuthPayload> {
    const email = requireEmail(input.email);
    const cookie = cookieFor(context, input.refreshTokenInCookie);
    const result = await context.services.accounts.login(email, input.password, await originOf(context, input.device));
    if (!result.ok) throw refusalError(result);
    return toAuthPayload(result.issued, cookie);
  }

  @Mutation(() => AuthPayload, {
    description:
      'Exchanges a refresh token for a new token pair of the same session; the previous pair stops working at once. ' +
      'Without refreshToken, the one in the cookie of cookie mode, whose successor goes back in the cookie. ' +
      'With refreshToken and refreshTokenInCookie, the successor goes in the cookie: how a browser takes over a session its app\'s backend got from issueSession. ' +
      'UNAUTHENTICATED on failure, with extensions.reason (a RevocationReason) when the session has ended.',
  })
  async refreshSession(
    @Arg('refreshToken', () => String, { nullable: true, description: 'The refreshToken of the last pair; without it, the cookie of cookie mode.' })
    refreshToken: string | null | undefined,
    @Arg('refreshTokenInCookie', () => Boolean, { defaultValue: false, description: 'Put the new refresh token in the cookie of cookie mode, not the payload. HTTP only.' })
    refreshTokenInCookie: boolean,
    @Ctx() context: Context,
  ): Promise<AuthPayload> {
    // Cookie mode when no token is given, or when asked: an explicit token otherwise never touches the cookie.
    const isFromCookie = refreshToken == null;
    const cookie = isFromCookie ? context.refreshCookie : cookieFor(context, refreshTokenInCookie, 'refreshTokenInCookie');
    const token = refreshToken ?? cookie?.read();
    // Only a cookie whose own token failed is cleared: one given explicitly says nothing of the cookie's.
    const clearFailedCookie = () => { if (isFromCookie) cookie?.clear(); };
    if (token === undefined) throw new UnauthenticatedError('No refresh token: pass refreshToken, or sign in with refreshTokenInCookie to keep it in a cookie.');
    if (token.length > REFRESH_TOKEN_MAX_LENGTH) {
      clearFailedCookie();
      throw new UnauthenticatedError('Invalid refresh token.');
    }
    const result = await context.services.sessions.refreshSession(token, requestOriginOf(context), await deviceKeyOf(context));
    // The device that holds the key still has the session, and its cookie: nothing is cleared.
    if (!result.ok && result.unproven) throw new InvalidDpopProofError('this session is bound to its device\'s key: its refresh needs a DPoP proof of that key');
    if (!result.ok) {
      clearFailedCookie();
      throw new UnauthenticatedError(result.ended ? `The session has ended (${result.ended}).` : 'Invalid refresh token, or the session has ended.', result.ended);
    }
    return toAuthPayload(result.issued, cookie);
  }

  @Authorized('sessions:issue')
  @Mutation(() => AuthPayload, {
    description:
      'For an app that signs its users in itself (service key with sessions:issue): a session for one of them, created as login creates one, ' +
      'with the end user\'s address, User-Agent and Client Hints as the backend forwards them. The first session for an externalId creates the user. ' +
      'The backend hands the tokens to its frontend, which then refreshes, lists and ends sessions as any user does.',
  })
  async issueSession(@Args(() => IssueSessionArgs) { input }: IssueSessionArgs, @Ctx() context: Context): Promise<AuthPayload> {
    const { name } = serviceCallerOf(context);
    const email = input.email == null ? null : requireEmail(input.email);
    const userAgent = stripControlCharacters(input.userAgent ?? undefined);
    const hints = input.clientHints ? readClientHints(headersOfHints(input.clientHints)) : null;
    const origin = { device: describeDevice(input.device, { userAgent, hints }), ipAddress: normalizeIp(input.ipAddress ?? undefined), userAgent, requestId: context.requestId, dpopJkt: await deviceKeyOf(context) };
    const result = await context.services.accounts.issueSession(input.externalId, email, origin, name);
    if (!result.ok) throw new EmailTakenError();
    return toAuthPayload(result.issued);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Ends the current session, and clears the refresh cookie of cookie mode.' })
  async logout(@Ctx() context: Context): Promise<boolean> {
    const isLoggedOut = await context.services.sessions.logout(callerOf(context), requestOriginOf(context));
    context.refreshCookie?.clear();
    return isLoggedOut;
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description: 'Proves the password again, so that this session may end other sessions for the next FRESH_AUTH_SECONDS. Throttled like login.',
  })
  async reauthenticate(@Args(() => ReauthenticateArgs) { password }: ReauthenticateArgs, @Ctx() context: Context): Promise<boolean> {
    const result = await context.services.accounts.reauthenticate(callerOf(context), password, requestOriginOf(context));
    if (!result.ok) throw refusalError(result);
    return true;
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Replaces the password; by default also ends every other session (reason PASSWORD_CHANGED).' })
  async changePassword(
    @Args(() => ChangePasswordArgs) { currentPassword, newPassword, signOutOtherSessions }: ChangePasswordArgs,
    @Ctx() context: Context,
  ): Promise<boolean> {
    const caller = callerOf(context);
    const result = await context.services.accounts.changePassword(caller, currentPassword, newPassword, signOutOtherSessions, requestOriginOf(context));
    if (!result.ok) throw refusalError(result);
    return true;
  }
}

/** The error a client reads for a refused sign-up, sign-in or password check. */
function refusalError(refusal: PasswordRefusal | { reason: 'EMAIL_TAKEN' }): AppError {
  switch (refusal.reason) {
    case 'EMAIL_TAKEN': return new EmailTakenError();
    case 'INVALID_CREDENTIALS': return new InvalidCredentialsError();
    case 'RATE_LIMITED': return new RateLimitedError(refusal.retryAfterSeconds);
  }
}

/** The address as an account holds it; `@IsAccountEmail` has already refused one it cannot be. */
function requireEmail(raw: string): string {
  const email = normalizeEmail(raw);
  if (!email) throw new BadUserInputError([{ field: 'input.email', message: 'input.email must be a valid email address of at most 254 characters' }]);
  return email;
}

async function originOf(context: Context, device: DeviceInfoInput | null | undefined): Promise<SignInOrigin> {
  if (context.deviceIdHeader && context.deviceIdHeader.length > DEVICE_TEXT_MAX_LENGTH) {
    throw new BadUserInputError([{ field: 'X-Device-Id', message: `The X-Device-Id header must be at most ${DEVICE_TEXT_MAX_LENGTH} characters` }]);
  }
  const dpopJkt = await deviceKeyOf(context);
  return { device: describeDevice(device, { userAgent: context.userAgent, deviceIdHeader: context.deviceIdHeader, hints: context.clientHints }), ...requestOriginOf(context), dpopJkt };
}

/** Cookie mode's cookie when the client asked for it; refused where no cookie can be set (over WebSocket), before anything is written. */
function cookieFor(context: Context, isWanted: boolean, field = 'input.refreshTokenInCookie'): RefreshCookie | undefined {
  if (!isWanted) return undefined;
  if (!context.refreshCookie) {
    throw new BadUserInputError([{ field, message: `${field} needs an HTTP request: a WebSocket message cannot set a cookie` }]);
  }
  return context.refreshCookie;
}

/** The payload; in cookie mode the refresh token goes in the cookie, for the session's remaining life, and not in the payload. */
function toAuthPayload(issued: IssuedSession, cookie?: RefreshCookie): AuthPayload {
  cookie?.set(issued.refreshToken, issued.session.expiresAt);
  return Object.assign(new AuthPayload(), {
    accessToken: issued.accessToken,
    tokenType: issued.session.dpopJkt === null ? 'Bearer' : 'DPoP',
    refreshToken: cookie ? null : issued.refreshToken,
    accessTokenExpiresAt: issued.accessTokenExpiresAt,
    user: issued.user,
    session: toSession(issued.session, issued.session.id),
    isNewDevice: issued.isNewDevice,
  });
}
