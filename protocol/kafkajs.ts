/**
 * The parts of kafkajs the project needs at run time: its error classes, its consumer-protocol
 * codec and its config resource types. They are loaded from kafkajs's own modules rather than
 * through its index, which would load the whole client: that alone took ~120 ms of
 * `kafka-twin serve`'s start, against ~10 ms for these three. They are the same module
 * instances kafkajs's index re-exports (Node caches a CommonJS module by path), so
 * `instanceof` against `import { KafkaJSProtocolError } from 'kafkajs'` holds in user code.
 */
import { createRequire } from 'node:module';
import type kafkajs from 'kafkajs';

const require = createRequire(import.meta.url);

type KafkaJs = typeof kafkajs;
type ProtocolError = InstanceType<KafkaJs['KafkaJSProtocolError']>;

/** kafkajs's `src/errors.js`: its error classes, including the two its typings leave out. */
export type KafkaJsErrors = Pick<
  KafkaJs,
  | 'KafkaJSError'
  | 'KafkaJSNonRetriableError'
  | 'KafkaJSProtocolError'
  | 'KafkaJSOffsetOutOfRange'
  | 'KafkaJSNumberOfRetriesExceeded'
  | 'KafkaJSConnectionError'
  | 'KafkaJSRequestTimeoutError'
  | 'KafkaJSTimeout'
  | 'KafkaJSAggregateError'
> & {
  /** A failed topic creation: a KafkaJSProtocolError with the topic's name. */
  readonly KafkaJSCreateTopicError: new (e: Error, topic: string) => ProtocolError & { readonly topic: string };
  /** One partition's failure in alterPartitionReassignments: a KafkaJSProtocolError with the topic and partition. */
  readonly KafkaJSAlterPartitionReassignmentsError: new (e: Error, topic: string, partition: number) => ProtocolError & {
    readonly topic: string;
    readonly partition: number;
  };
  /** deleteGroups's failure: the groups with their errors. */
  readonly KafkaJSDeleteGroupsError: new (message: string, groups: { groupId: string; errorCode: number; error: unknown }[]) => Error;
  /** MEMBER_ID_REQUIRED with the member id to rejoin with. */
  readonly KafkaJSMemberIdRequired: new (e: Error, options: { memberId: string }) => ProtocolError & { readonly memberId: string };
};

export const kafkajsErrors = require('kafkajs/src/errors') as KafkaJsErrors;
export const AssignerProtocol = require('kafkajs/src/consumer/assignerProtocol') as KafkaJs['AssignerProtocol'];
export const ConfigResourceTypes = require('kafkajs/src/protocol/configResourceTypes') as KafkaJs['ConfigResourceTypes'];

/**
 * kafkajs's own message for each error code (its `src/protocol/error.js`), which its parsers throw
 * when a response carries a code and no message. Some differ from Kafka's texts in errors.ts
 * (INVALID_PRODUCER_EPOCH's names the two causes, INVALID_TRANSACTION_TIMEOUT's the setting).
 */
export const kafkajsErrorMessages: ReadonlyMap<number, string> = new Map(
  (require('kafkajs/src/protocol/error.js') as { errorCodes: { code: number; message: string }[] }).errorCodes.map((e) => [e.code, e.message]),
);

/** kafkajs's ACL enums (resource, operation, permission and pattern types), by which its admin validates ACL requests. */
export const AclEnums = {
  resourceTypes: require('kafkajs/src/protocol/aclResourceTypes') as Readonly<Record<string, number>>,
  operationTypes: require('kafkajs/src/protocol/aclOperationTypes') as Readonly<Record<string, number>>,
  permissionTypes: require('kafkajs/src/protocol/aclPermissionTypes') as Readonly<Record<string, number>>,
  patternTypes: require('kafkajs/src/protocol/resourcePatternTypes') as Readonly<Record<string, number>>,
} as const;
