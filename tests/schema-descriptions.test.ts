// Every type, field, argument and enum value of the schema says what it is: the docs explorer, the
// committed schema.graphql and every generated client show these descriptions.
import { isEnumType, isInputObjectType, isInterfaceType, isIntrospectionType, isObjectType, isSpecifiedScalarType, type GraphQLNamedType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildAppSchema } from '../src/schema.js';

/** The coordinates (`Type.field(argument:)`, `Enum.VALUE`) of everything in the type that has no description. */
function undescribedIn(type: GraphQLNamedType): string[] {
  const missing = type.description?.trim() ? [] : [type.name];
  if (isObjectType(type) || isInterfaceType(type)) {
    for (const field of Object.values(type.getFields())) {
      if (!field.description?.trim()) missing.push(`${type.name}.${field.name}`);
      for (const arg of field.args) if (!arg.description?.trim()) missing.push(`${type.name}.${field.name}(${arg.name}:)`);
    }
  } else if (isInputObjectType(type)) {
    for (const field of Object.values(type.getFields())) if (!field.description?.trim()) missing.push(`${type.name}.${field.name}`);
  } else if (isEnumType(type)) {
    for (const value of type.getValues()) if (!value.description?.trim()) missing.push(`${type.name}.${value.name}`);
  }
  return missing;
}

describe('schema descriptions', () => {
  it('describes every type, field, argument and enum value', async () => {
    const types = Object.values((await buildAppSchema()).getTypeMap()).filter((type) => !isIntrospectionType(type) && !isSpecifiedScalarType(type));
    expect(types.flatMap(undescribedIn)).toEqual([]);
  });
});
