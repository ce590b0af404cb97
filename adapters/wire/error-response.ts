/**
 * Error answers built from the schemas, for injected faults (emulator/faults.ts): what a request
 * names (its topics and partitions, to match a fault's scope), a response refusing a whole request
 * with one error (as Kafka's AbstractRequest.getErrorResponse builds one per request type), and
 * an applied request's response with its errors overwritten (a lost answer).
 *
 * One generic walk serves every API: a response's arrays that carry an error code are built from
 * the request's arrays in the same place (the same name, else the first one left), copying the
 * fields both sides have (the topic's name, the partition's index, a group id, a resource's type
 * and name) and the key where the request lists bare names or numbers. Errors are put where the
 * response names topics: on the shallowest level with an error code that knows its topic (the
 * topic in Metadata and CreateTopics, the partition in Produce, Fetch and ListOffsets); a
 * response that names no topic gets them on every error code it has (JoinGroup's, the groups of
 * DescribeGroups).
 */
import { inVersions, type ApiSchema, type Field, type StructType } from '../../protocol/wire/index.js';

type Value = Record<string, unknown>;

/** Where topics are listed, in requests and responses. */
const TOPIC_ARRAYS: ReadonlySet<string> = new Set(['topics', 'topicData', 'topicNames', 'responses', 'results']);
const PARTITION_FIELDS = ['partitionIndex', 'index', 'partition'] as const;
/** Fields that name the same thing on both sides under different names. */
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  name: ['topic'],
  topic: ['name'],
  partitionIndex: ['index', 'partition'],
  index: ['partitionIndex', 'partition'],
  partition: ['partitionIndex', 'index'],
};

/** Maps a topic id (Fetch v13+) to its name. */
export type TopicNameOf = (topicId: string) => string | undefined;

/** The topics and partitions a decoded request names: partitions where it lists them, bare topics otherwise. */
export function namedIn(body: Value, nameOf: TopicNameOf): { topics: string[]; partitions: { topic: string; partition: number }[] } {
  const topics: string[] = [];
  const partitions: { topic: string; partition: number }[] = [];
  const walk = (value: Value): void => {
    for (const [key, v] of Object.entries(value)) {
      if (!Array.isArray(v)) continue;
      if (!TOPIC_ARRAYS.has(key)) {
        for (const element of v) if (isPlain(element)) walk(element);
        continue;
      }
      for (const element of v) {
        const topic = typeof element === 'string' ? element : isPlain(element) ? topicOf(element, nameOf) : undefined;
        if (topic === undefined) continue;
        const listed = isPlain(element) ? Object.entries(element).find(([k, a]) => /^partition/.test(k) && Array.isArray(a)) : undefined;
        if (listed === undefined) {
          topics.push(topic);
          continue;
        }
        for (const p of listed[1] as unknown[]) {
          const partition = typeof p === 'number' ? p : isPlain(p) ? partitionOf(p) : undefined;
          if (partition !== undefined) partitions.push({ topic, partition });
        }
      }
    }
  };
  walk(body);
  return { topics, partitions };
}

/**
 * The response refusing the whole request: every place that can carry the error carries
 * `errorCode`. Undefined when the response has no such place (Metadata for every topic has no
 * topics to put it on): the caller closes the connection instead.
 */
export function errorResponse(api: ApiSchema, version: number, request: Value, errorCode: number, nameOf: TopicNameOf): Value | undefined {
  const response = mirror(api.response.fields, version, request);
  return errorSites(api, version, response, () => true, nameOf).size === 0 ? undefined : withErrors(api, version, response, errorCode, () => true, nameOf);
}

/**
 * `response` with `errorCode` where it names what `covers` accepts (see the file's comment);
 * the response is copied, not changed.
 */
export function withErrors(
  api: ApiSchema,
  version: number,
  response: Value,
  errorCode: number,
  covers: (topic: string | undefined, partition?: number) => boolean,
  nameOf: TopicNameOf,
): Value {
  return rewrite(response, errorSites(api, version, response, covers, nameOf), errorCode) as Value;
}

/** The structs of `response` that get the error (see the file's comment). */
function errorSites(api: ApiSchema, version: number, response: Value, covers: (topic: string | undefined, partition?: number) => boolean, nameOf: TopicNameOf): Set<object> {
  const sites: Site[] = [];
  collect(api.response.fields, version, response, { depth: 0, topic: undefined, partition: undefined, inTopics: false, inPartitions: false }, sites, nameOf);
  const named = sites.filter((s) => s.topic !== undefined);
  const shallowest = Math.min(...named.map((s) => s.depth));
  const chosen = named.length > 0 ? named.filter((s) => s.depth === shallowest && covers(s.topic, s.partition)) : sites;
  return new Set(chosen.map((s) => s.value));
}

interface Site {
  readonly value: Value;
  readonly depth: number;
  readonly topic: string | undefined;
  readonly partition: number | undefined;
}

interface Scope {
  readonly depth: number;
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  readonly inTopics: boolean;
  readonly inPartitions: boolean;
}

function collect(fields: readonly Field[], version: number, value: Value, scope: Scope, sites: Site[], nameOf: TopicNameOf): void {
  const topic = scope.inTopics ? (topicOf(value, nameOf) ?? scope.topic) : scope.topic;
  const partition = scope.inPartitions ? (partitionOf(value) ?? scope.partition) : scope.partition;
  const live = fields.filter((f) => inVersions(f.versions, version));
  if (live.some((f) => f.name === 'errorCode')) sites.push({ value, depth: scope.depth, topic, partition });
  for (const f of live) {
    const t = f.type;
    if (typeof t === 'string' || t.kind !== 'array' || typeof t.of === 'string') continue;
    const elements = value[f.name];
    if (!Array.isArray(elements)) continue;
    const inner = {
      depth: scope.depth + 1,
      topic,
      partition,
      inTopics: TOPIC_ARRAYS.has(f.name),
      inPartitions: /^partition/.test(f.name),
    };
    for (const e of elements) if (isPlain(e)) collect(t.of.fields, version, e, inner, sites, nameOf);
  }
}

/** A copy of `value` with `errorCode` set on the marked structs. */
function rewrite(value: unknown, marked: ReadonlySet<object>, errorCode: number): unknown {
  if (Array.isArray(value)) return value.map((v) => rewrite(v, marked, errorCode));
  if (!isPlain(value)) return value;
  const out: Value = {};
  for (const [k, v] of Object.entries(value)) out[k] = rewrite(v, marked, errorCode);
  if (marked.has(value)) out.errorCode = errorCode;
  return out;
}

/** A response shaped after the request: see the file's comment. */
function mirror(fields: readonly Field[], version: number, source: unknown): Value {
  const out: Value = {};
  const arrays = isPlain(source) ? Object.entries(source).filter(([, v]) => Array.isArray(v)) : [];
  const usedArrays = new Set<string>();
  let keyUsed = false;
  for (const f of fields) {
    if (!inVersions(f.versions, version) || f.tag !== undefined) continue;
    const t = f.type;
    if (f.name === 'errorCode') {
      out.errorCode = 0;
    } else if (typeof t === 'string') {
      if (typeof source === 'string' && t === 'string' && !keyUsed) {
        out[f.name] = source;
        keyUsed = true;
      } else if (typeof source === 'number' && t === 'int32' && (PARTITION_FIELDS as readonly string[]).includes(f.name)) {
        out[f.name] = source;
      } else if (isPlain(source)) {
        const v = [f.name, ...(ALIASES[f.name] ?? [])].map((n) => source[n]).find((x) => x !== undefined);
        if (v !== undefined && sameKind(t, v)) out[f.name] = v;
      }
      // As Kafka's error responses: offsets unknown.
      if (t === 'int64' && out[f.name] === undefined && f.default === undefined) out[f.name] = -1n;
    } else if (t.kind === 'array' && typeof t.of !== 'string' && carriesErrors(t.of, version)) {
      const from = arrays.find(([k]) => k === f.name && !usedArrays.has(k)) ?? arrays.find(([k]) => !usedArrays.has(k));
      if (from === undefined) {
        out[f.name] = [];
        continue;
      }
      usedArrays.add(from[0]);
      const struct = t.of;
      out[f.name] = (from[1] as unknown[]).map((e) => mirror(struct.fields, version, e));
    }
  }
  return out;
}

function carriesErrors(struct: StructType, version: number): boolean {
  return struct.fields.some((f) => {
    if (!inVersions(f.versions, version)) return false;
    if (f.name === 'errorCode') return true;
    const t = f.type;
    return typeof t !== 'string' && t.kind === 'array' && typeof t.of !== 'string' && carriesErrors(t.of, version);
  });
}

function sameKind(type: string, v: unknown): boolean {
  if (type === 'int64') return typeof v === 'bigint';
  if (type === 'string' || type === 'uuid') return typeof v === 'string';
  if (type === 'bool') return typeof v === 'boolean';
  if (type === 'bytes' || type === 'records') return false;
  return typeof v === 'number';
}

function topicOf(v: Value, nameOf: TopicNameOf): string | undefined {
  for (const k of ['name', 'topic']) if (typeof v[k] === 'string' && v[k] !== '') return v[k];
  return typeof v.topicId === 'string' ? nameOf(v.topicId) : undefined;
}

function partitionOf(v: Value): number | undefined {
  for (const k of PARTITION_FIELDS) if (typeof v[k] === 'number') return v[k];
  return undefined;
}

function isPlain(v: unknown): v is Value {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}
