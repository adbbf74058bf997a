import { ValidateNested } from 'class-validator';
import { ArgsType, Field } from 'type-graphql';
import { LoginInput, SignUpInput } from './auth.input.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/passwords.js';
import { IsNewPassword, IsPasswordToCheck } from './input-rules.js';

// Arguments as classes, so that class-validator sees all of a field's arguments at once and the
// paths it reports start at the argument's name (`input.email`), as BAD_USER_INPUT's do.

@ArgsType()
export class SignUpArgs {
  @Field(() => SignUpInput, { description: 'The account to create.' })
  @ValidateNested()
  input!: SignUpInput;
}

@ArgsType()
export class LoginArgs {
  @Field(() => LoginInput, { description: 'Who signs in, and from what.' })
  @ValidateNested()
  input!: LoginInput;
}

@ArgsType()
export class ReauthenticateArgs {
  @Field(() => String, { description: 'The account\'s password.' })
  @IsPasswordToCheck()
  password!: string;
}

@ArgsType()
export class ChangePasswordArgs {
  @Field(() => String, { description: 'The password now.' })
  @IsPasswordToCheck()
  currentPassword!: string;

  @Field(() => String, { description: `The password to set: ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters, no other rule.` })
  @IsNewPassword()
  newPassword!: string;

  @Field(() => Boolean, { defaultValue: true, description: 'Whether to end every other session of the account too (reason PASSWORD_CHANGED).' })
  signOutOtherSessions!: boolean;
}
