import { IsUUID, Matches, MaxLength } from 'class-validator';
import { ArgsType, Field, ID } from 'type-graphql';
import { DEVICE_TEXT_MAX_LENGTH } from '../devices/device-bounds.js';

@ArgsType()
export class RevokeSessionArgs {
  @Field(() => ID, { description: 'The session to end: a Session.id from mySessions.' })
  @IsUUID()
  id!: string;
}

@ArgsType()
export class RenameSessionArgs {
  @Field(() => ID, { description: 'The session to name: a Session.id from mySessions, this one\'s or another\'s.' })
  @IsUUID()
  id!: string;

  @Field(() => String, { description: `What to call the device ("Ada's laptop"), at most ${DEVICE_TEXT_MAX_LENGTH} characters, not blank; trimmed.` })
  @MaxLength(DEVICE_TEXT_MAX_LENGTH) @Matches(/\S/, { message: '$property must not be blank' })
  name!: string;
}
