/** TypeBox pieces shared by several routes. */
import { Type } from '@sinclair/typebox';

export const TopicParams = Type.Object({ topic: Type.String({ minLength: 1, maxLength: 300 }) });
export const PartitionParams = Type.Object({
  topic: Type.String({ minLength: 1, maxLength: 300 }),
  partition: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
});
export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true }),
});
/** `earliest`, `latest` or a non-negative integer offset. */
export const OffsetQuery = Type.Union([Type.Literal('earliest'), Type.Literal('latest'), Type.String({ pattern: '^[0-9]{1,16}$' })]);

export function parseOffsetQuery(value: string): number | 'earliest' | 'latest' {
  return value === 'earliest' || value === 'latest' ? value : Number(value);
}
