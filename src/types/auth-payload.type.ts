import { Field, ObjectType } from 'type-graphql';
import { Session } from './session.type.js';
import { User } from './user.type.js';

@ObjectType({ description: 'A new token pair and the session it belongs to.', simpleResolvers: true })
export class AuthPayload {
  @Field(() => String, { description: 'Send as `Authorization: <tokenType> <accessToken>`. Short-lived.' })
  accessToken!: string;

  @Field(() => String, {
    description: '`Bearer`, or `DPoP` for a session bound to the device\'s key: then send `Authorization: DPoP <accessToken>` with a `DPoP` proof header on every request (RFC 9449).',
  })
  tokenType!: 'Bearer' | 'DPoP';

  @Field(() => String, {
    nullable: true,
    description: 'Exchange with refreshSession for a new pair; each one works once. Null in cookie mode (refreshTokenInCookie), where it is in the __Host-refresh-token cookie instead.',
  })
  refreshToken!: string | null;

  @Field(() => Date, { description: 'When accessToken stops working (ACCESS_TOKEN_TTL_SECONDS, never past the session\'s end): refresh before then.' })
  accessTokenExpiresAt!: Date;

  @Field(() => User, { description: 'The signed-in account.' })
  user!: User;

  @Field(() => Session, { description: 'The session the tokens belong to; isCurrent is true.' })
  session!: Session;

  @Field(() => Boolean, {
    description: 'True when the user had never signed in from this device: the same deviceId, or without one the same browser, OS and country. False for refreshSession.',
  })
  isNewDevice!: boolean;
}
