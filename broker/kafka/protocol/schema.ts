/**
 * Kafka's message definitions (broker/kafka/messages/*.json, in apache/kafka's own JSON format)
 * compiled, once per message and version, into the list of fields that version has on the wire:
 *
 *   "versions": "3+" | "0-12" | "7" | "none"   the versions a field (or message) exists in
 *   "nullableVersions"                         where the field may be null (length -1, or 0 compact)
 *   "flexibleVersions" (message)               compact lengths (unsigned varint + 1) and a tag
 *                                              buffer after every struct; a field may opt out
 *                                              ("none": RequestHeader's ClientId keeps int16)
 *   "taggedVersions" + "tag"                   the field leaves the fixed sequence and travels in
 *                                              the tag buffer, written only when not its default
 *   "type": "[]Name" with "fields"             an array of structs; "Name" with "fields" a struct
 *
 * Field names become camelCase keys (TopicData -> topicData). Fields a version lacks are given
 * their default when decoding, so handlers see the same shape at every version.
 */
export interface FieldSpec {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string;
  flexibleVersions?: string;
  fields?: FieldSpec[];
}

export interface MessageSpec {
  apiKey?: number;
  type: 'request' | 'response' | 'header';
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: FieldSpec[];
}

export type Primitive = 'int8' | 'int16' | 'uint16' | 'int32' | 'int64' | 'float64' | 'bool' | 'string' | 'bytes' | 'records' | 'uuid';

export interface CompiledField {
  key: string;
  kind: Primitive | 'struct' | 'array';
  /** Arrays: the element type. */
  element: Primitive | 'struct' | null;
  /** Structs and arrays of structs. */
  struct: CompiledStruct | null;
  nullable: boolean;
  compact: boolean;
  tag: number | null;
  defaultValue: unknown;
}

export interface CompiledStruct {
  fields: CompiledField[];
  tagged: CompiledField[];
  /** Keys this version lacks, with the value a decoded message gets for them. */
  absent: Array<{ key: string; value: unknown }>;
  flexible: boolean;
}

export interface VersionRange {
  min: number;
  max: number;
}

const PRIMITIVES = new Set<string>(['int8', 'int16', 'uint16', 'int32', 'int64', 'float64', 'bool', 'string', 'bytes', 'records', 'uuid']);
export const ZERO_UUID = '0'.repeat(32);

export function parseVersions(text: string): VersionRange {
  if (text === 'none') return { min: 1, max: 0 };
  const plus = /^(\d+)\+$/.exec(text);
  if (plus) return { min: Number(plus[1]), max: Number.POSITIVE_INFINITY };
  const range = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!range) throw new Error(`not a version range: ${text}`);
  return { min: Number(range[1]), max: Number(range[2] ?? range[1]) };
}

export function inRange(text: string | undefined, version: number): boolean {
  if (text === undefined) return false;
  const { min, max } = parseVersions(text);
  return version >= min && version <= max;
}

function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function primitiveDefault(kind: Primitive, text: string | undefined, nullable: boolean): unknown {
  if (text === 'null' && nullable) return null;
  switch (kind) {
    case 'bool':
      return text === 'true';
    case 'string':
      return text ?? '';
    case 'bytes':
    case 'records':
      return nullable ? null : Buffer.alloc(0);
    case 'uuid':
      return ZERO_UUID;
    default:
      return text === undefined ? 0 : Number(text);
  }
}

/** `absent`: the field is not in this version; its default is then null wherever the field may be null at all. */
function compileField(spec: FieldSpec, version: number, flexible: boolean, absent = false): CompiledField {
  const nullable = absent ? spec.nullableVersions !== undefined : inRange(spec.nullableVersions, version);
  const compact = flexible && spec.flexibleVersions !== 'none';
  const tag = inRange(spec.taggedVersions, version) ? spec.tag! : null;
  const isArray = spec.type.startsWith('[]');
  const base = isArray ? spec.type.slice(2) : spec.type;
  const primitive = PRIMITIVES.has(base) ? (base as Primitive) : null;
  const struct = primitive ? null : compileStruct(spec.fields ?? [], version, flexible);
  if (!primitive && !spec.fields) throw new Error(`field ${spec.name}: type ${spec.type} has no fields`);
  const common = { key: camelCase(spec.name), nullable, compact, tag, struct };
  if (isArray) return { ...common, kind: 'array', element: primitive ?? 'struct', defaultValue: nullable && spec.default === 'null' ? null : [] };
  if (!primitive) return { ...common, kind: 'struct', element: null, defaultValue: null };
  return { ...common, kind: primitive, element: null, defaultValue: primitiveDefault(primitive, spec.default, nullable) };
}

export function compileStruct(specs: FieldSpec[], version: number, flexible: boolean): CompiledStruct {
  const struct: CompiledStruct = { fields: [], tagged: [], absent: [], flexible };
  for (const spec of specs) {
    if (!inRange(spec.versions, version)) {
      const field = compileField(spec, version, flexible, true);
      struct.absent.push({ key: field.key, value: field.defaultValue });
      continue;
    }
    const field = compileField(spec, version, flexible);
    (field.tag === null ? struct.fields : struct.tagged).push(field);
  }
  struct.tagged.sort((a, b) => a.tag! - b.tag!);
  return struct;
}

/** A message's definition compiled per version, on first use. */
export class CompiledMessage {
  readonly versions: VersionRange;
  private readonly byVersion = new Map<number, CompiledStruct>();

  constructor(readonly spec: MessageSpec) {
    this.versions = parseVersions(spec.validVersions);
  }

  isFlexible(version: number): boolean {
    return inRange(this.spec.flexibleVersions, version);
  }

  at(version: number): CompiledStruct {
    let struct = this.byVersion.get(version);
    if (!struct) {
      if (version < this.versions.min || version > this.versions.max) throw new Error(`${this.spec.name} has no version ${version}`);
      struct = compileStruct(this.spec.fields, version, this.isFlexible(version));
      this.byVersion.set(version, struct);
    }
    return struct;
  }
}
