import { ValidateNested } from 'class-validator';
import { ArgsType, Field } from 'type-graphql';
import { LoginInput, SignUpInput } from './auth.input.js';
import { IsNewPassword, IsPasswordToCheck } from './input-rules.js';

// Arguments as classes, so that class-validator sees all of a field's arguments at once and the
// paths it reports start at the argument's name (`input.email`), as BAD_USER_INPUT's do.

@ArgsType()
export class SignUpArgs {
  @Field(() => SignUpInput)
  @ValidateNested()
  input!: SignUpInput;
}

@ArgsType()
export class LoginArgs {
  @Field(() => LoginInput)
  @ValidateNested()
  input!: LoginInput;
}

@ArgsType()
export class ReauthenticateArgs {
  @Field(() => String)
  @IsPasswordToCheck()
  password!: string;
}

@ArgsType()
export class ChangePasswordArgs {
  @Field(() => String)
  @IsPasswordToCheck()
  currentPassword!: string;

  @Field(() => String, { description: '8 to 1024 characters.' })
  @IsNewPassword()
  newPassword!: string;

  @Field(() => Boolean, { defaultValue: true })
  signOutOtherSessions!: boolean;
}
