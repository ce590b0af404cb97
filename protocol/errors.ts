/**
 * One error tree for the twin and the kafkajs adapter. Errors are kafkajs's own classes, so
 * `instanceof KafkaJSProtocolError` and `error.type` checks in user code behave the same on the
 * twin and on a real cluster. Kafka's error codes live in one data table below.
 */
import { kafkajsErrors } from './kafkajs.js';

export const {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSOffsetOutOfRange,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSConnectionError,
  KafkaJSRequestTimeoutError,
  KafkaJSTimeout,
  KafkaJSAggregateError,
} = kafkajsErrors;
/** kafkajs's error for a failed topic creation; a KafkaJSProtocolError with the topic's name. Missing from kafkajs's typings. */
export const { KafkaJSCreateTopicError } = kafkajsErrors;
/** kafkajs's error classes, re-exported as types too. */
export type KafkaJSError = InstanceType<typeof KafkaJSError>;
export type KafkaJSProtocolError = InstanceType<typeof KafkaJSProtocolError>;
export type KafkaJSConnectionError = InstanceType<typeof KafkaJSConnectionError>;
export type KafkaJSOffsetOutOfRange = InstanceType<typeof KafkaJSOffsetOutOfRange>;

/** One row of Kafka's error-code table. */
export interface KafkaErrorCode {
  /** The name kafkajs uses in `error.type` (kafkajs keeps some pre-2.x names, see `kafkaName`). */
  readonly type: string;
  /** Kafka's numeric error code. */
  readonly code: number;
  /** Whether a client may retry the request as it is. */
  readonly retriable: boolean;
  /** A one-line description. */
  readonly message: string;
  /** Kafka's current name for the code, where it differs from kafkajs's `type`. */
  readonly kafkaName?: string;
}

// [code, type, retriable, message, kafkaName?]. The type and retriable columns follow kafkajs's
// table so that both targets report the same `error.type` and `error.retriable`.
const ROWS: ReadonlyArray<readonly [number, string, boolean, string, string?]> = [
  [-1, 'UNKNOWN', false, 'The server experienced an unexpected error when processing the request', 'UNKNOWN_SERVER_ERROR'],
  [1, 'OFFSET_OUT_OF_RANGE', false, 'The requested offset is not within the range of offsets maintained by the server'],
  [2, 'CORRUPT_MESSAGE', true, 'The record failed its CRC check or is otherwise corrupt'],
  [3, 'UNKNOWN_TOPIC_OR_PARTITION', true, 'This server does not host this topic-partition'],
  [4, 'INVALID_FETCH_SIZE', false, 'The requested fetch size is invalid'],
  [5, 'LEADER_NOT_AVAILABLE', true, 'There is no leader for this topic-partition as we are in the middle of a leadership election'],
  [6, 'NOT_LEADER_FOR_PARTITION', true, 'This server is not the leader or a follower for that topic-partition', 'NOT_LEADER_OR_FOLLOWER'],
  [7, 'REQUEST_TIMED_OUT', true, 'The request timed out'],
  [8, 'BROKER_NOT_AVAILABLE', false, 'The broker is not available'],
  [9, 'REPLICA_NOT_AVAILABLE', true, 'The replica is not available for the requested topic-partition'],
  [10, 'MESSAGE_TOO_LARGE', false, 'The request included a message larger than the maximum message size the server will accept'],
  [11, 'STALE_CONTROLLER_EPOCH', false, 'The controller moved to another broker'],
  [12, 'OFFSET_METADATA_TOO_LARGE', false, 'The metadata field of the offset request was too large'],
  [13, 'NETWORK_EXCEPTION', true, 'The server disconnected before a response was received'],
  [14, 'GROUP_LOAD_IN_PROGRESS', true, 'The coordinator is loading and hence cannot process requests', 'COORDINATOR_LOAD_IN_PROGRESS'],
  [15, 'GROUP_COORDINATOR_NOT_AVAILABLE', true, 'The coordinator is not available', 'COORDINATOR_NOT_AVAILABLE'],
  [16, 'NOT_COORDINATOR_FOR_GROUP', true, 'This is not the correct coordinator', 'NOT_COORDINATOR'],
  [17, 'INVALID_TOPIC_EXCEPTION', false, 'The request attempted to perform an operation on an invalid topic'],
  [18, 'RECORD_LIST_TOO_LARGE', false, 'The request included a record batch larger than the server will accept'],
  [19, 'NOT_ENOUGH_REPLICAS', true, 'Messages are rejected since there are fewer in-sync replicas than required'],
  [20, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', true, 'Messages are written to the log, but to fewer in-sync replicas than required'],
  [21, 'INVALID_REQUIRED_ACKS', false, 'Produce request specified an invalid value for required acks'],
  [22, 'ILLEGAL_GENERATION', false, 'Specified group generation id is not valid'],
  [23, 'INCONSISTENT_GROUP_PROTOCOL', false, "The group member's supported protocols are incompatible with those of existing members"],
  [24, 'INVALID_GROUP_ID', false, 'The configured groupId is invalid'],
  [25, 'UNKNOWN_MEMBER_ID', false, 'The coordinator is not aware of this member'],
  [26, 'INVALID_SESSION_TIMEOUT', false, 'The session timeout is not within the range allowed by the broker'],
  [27, 'REBALANCE_IN_PROGRESS', false, 'The group is rebalancing, so a rejoin is needed'],
  [28, 'INVALID_COMMIT_OFFSET_SIZE', false, 'The committing offset data size is not valid'],
  [29, 'TOPIC_AUTHORIZATION_FAILED', false, 'Topic authorization failed'],
  [30, 'GROUP_AUTHORIZATION_FAILED', false, 'Group authorization failed'],
  [31, 'CLUSTER_AUTHORIZATION_FAILED', false, 'Cluster authorization failed'],
  [32, 'INVALID_TIMESTAMP', false, 'The timestamp of the message is out of acceptable range'],
  [33, 'UNSUPPORTED_SASL_MECHANISM', false, 'The broker does not support the requested SASL mechanism'],
  [34, 'ILLEGAL_SASL_STATE', false, 'Request is not valid given the current SASL state'],
  [35, 'UNSUPPORTED_VERSION', false, 'The version of API is not supported'],
  [36, 'TOPIC_ALREADY_EXISTS', false, 'Topic with this name already exists'],
  [37, 'INVALID_PARTITIONS', false, 'Number of partitions is invalid'],
  [38, 'INVALID_REPLICATION_FACTOR', false, 'Replication-factor is invalid'],
  [39, 'INVALID_REPLICA_ASSIGNMENT', false, 'Replica assignment is invalid'],
  [40, 'INVALID_CONFIG', false, 'Configuration is invalid'],
  [41, 'NOT_CONTROLLER', true, 'This is not the correct controller for this cluster'],
  [42, 'INVALID_REQUEST', false, 'This most likely occurs because of a request being malformed by the client library'],
  [43, 'UNSUPPORTED_FOR_MESSAGE_FORMAT', false, 'The message format version on the broker does not support the request'],
  [44, 'POLICY_VIOLATION', false, 'Request parameters do not satisfy the configured policy'],
  [45, 'OUT_OF_ORDER_SEQUENCE_NUMBER', false, 'The broker received an out of order sequence number'],
  [46, 'DUPLICATE_SEQUENCE_NUMBER', false, 'The broker received a duplicate sequence number'],
  [47, 'INVALID_PRODUCER_EPOCH', false, "Producer attempted an operation with an old epoch"],
  [48, 'INVALID_TXN_STATE', false, 'The producer attempted a transactional operation in an invalid state'],
  [49, 'INVALID_PRODUCER_ID_MAPPING', false, 'The producer attempted to use a producer id which is not currently assigned to its transactional id'],
  [50, 'INVALID_TRANSACTION_TIMEOUT', false, 'The transaction timeout is larger than the maximum value allowed by the broker'],
  [51, 'CONCURRENT_TRANSACTIONS', true, 'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing'],
  [52, 'TRANSACTION_COORDINATOR_FENCED', false, 'Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator'],
  [53, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', false, 'Transactional Id authorization failed'],
  [54, 'SECURITY_DISABLED', false, 'Security features are disabled'],
  [55, 'OPERATION_NOT_ATTEMPTED', false, 'The broker did not attempt to execute this operation'],
  [56, 'KAFKA_STORAGE_ERROR', true, 'Disk error when trying to access log file on the disk'],
  [57, 'LOG_DIR_NOT_FOUND', false, 'The user-specified log directory is not found in the broker config'],
  [58, 'SASL_AUTHENTICATION_FAILED', false, 'SASL Authentication failed'],
  [59, 'UNKNOWN_PRODUCER_ID', false, 'The broker could not locate the producer metadata associated with the producer id'],
  [60, 'REASSIGNMENT_IN_PROGRESS', false, 'A partition reassignment is in progress'],
  [61, 'DELEGATION_TOKEN_AUTH_DISABLED', false, 'Delegation Token feature is not enabled'],
  [62, 'DELEGATION_TOKEN_NOT_FOUND', false, 'Delegation Token is not found on server'],
  [63, 'DELEGATION_TOKEN_OWNER_MISMATCH', false, 'Specified Principal is not valid Owner/Renewer'],
  [64, 'DELEGATION_TOKEN_REQUEST_NOT_ALLOWED', false, 'Delegation Token requests are not allowed on this connection'],
  [65, 'DELEGATION_TOKEN_AUTHORIZATION_FAILED', false, 'Delegation Token authorization failed'],
  [66, 'DELEGATION_TOKEN_EXPIRED', false, 'Delegation Token is expired'],
  [67, 'INVALID_PRINCIPAL_TYPE', false, 'Supplied principalType is not supported'],
  [68, 'NON_EMPTY_GROUP', false, 'The group is not empty'],
  [69, 'GROUP_ID_NOT_FOUND', false, 'The group id does not exist'],
  [70, 'FETCH_SESSION_ID_NOT_FOUND', true, 'The fetch session ID was not found'],
  [71, 'INVALID_FETCH_SESSION_EPOCH', true, 'The fetch session epoch is invalid'],
  [72, 'LISTENER_NOT_FOUND', true, 'There is no listener on the leader broker that matches the listener on which metadata request was processed'],
  [73, 'TOPIC_DELETION_DISABLED', false, 'Topic deletion is disabled'],
  [74, 'FENCED_LEADER_EPOCH', true, 'The leader epoch in the request is older than the epoch on the broker'],
  [75, 'UNKNOWN_LEADER_EPOCH', true, 'The leader epoch in the request is newer than the epoch on the broker'],
  [76, 'UNSUPPORTED_COMPRESSION_TYPE', false, 'The requesting client does not support the compression type of given partition'],
  [77, 'STALE_BROKER_EPOCH', false, 'Broker epoch has changed'],
  [78, 'OFFSET_NOT_AVAILABLE', true, 'The leader high watermark has not caught up from a recent leader election'],
  [79, 'MEMBER_ID_REQUIRED', false, 'The group member needs to have a valid member id before actually entering a consumer group'],
  [80, 'PREFERRED_LEADER_NOT_AVAILABLE', true, 'The preferred leader was not available'],
  [81, 'GROUP_MAX_SIZE_REACHED', false, 'The consumer group has reached its max size'],
  [82, 'FENCED_INSTANCE_ID', false, 'The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id'],
  [83, 'ELIGIBLE_LEADERS_NOT_AVAILABLE', true, 'Eligible topic partition leaders are not available'],
  [84, 'ELECTION_NOT_NEEDED', true, 'Leader election not needed for topic partition'],
  [85, 'NO_REASSIGNMENT_IN_PROGRESS', false, 'No partition reassignment is in progress'],
  [86, 'GROUP_SUBSCRIBED_TO_TOPIC', false, 'Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it'],
  [87, 'INVALID_RECORD', false, 'This record has failed the validation on broker and hence will be rejected'],
  [88, 'UNSTABLE_OFFSET_COMMIT', true, 'There are unstable offsets that need to be cleared'],
  // Past kafkajs 2.2.4's table (it sends the versions that answer INVALID_PRODUCER_EPOCH instead);
  // Kafka's Java clients get these through the wire front end.
  [90, 'PRODUCER_FENCED', false, 'There is a newer producer with the same transactionalId which fences the current one'],
  [105, 'TRANSACTIONAL_ID_NOT_FOUND', false, 'The transactionalId could not be found'],
];

/** Kafka's error codes, keyed by kafkajs's `type`. */
export const KAFKA_ERRORS: ReadonlyMap<string, KafkaErrorCode> = new Map(
  ROWS.map(([code, type, retriable, message, kafkaName]) => [
    type,
    Object.freeze(kafkaName === undefined ? { type, code, retriable, message } : { type, code, retriable, message, kafkaName }),
  ]),
);

const BY_CODE = new Map([...KAFKA_ERRORS.values()].map((row) => [row.code, row]));
const BY_KAFKA_NAME = new Map([...KAFKA_ERRORS.values()].filter((r) => r.kafkaName).map((row) => [row.kafkaName!, row]));

/** Looks a row up by kafkajs's type, Kafka's own name, or the numeric code. */
export function kafkaError(typeOrCode: string | number): KafkaErrorCode {
  const row =
    typeof typeOrCode === 'number' ? BY_CODE.get(typeOrCode) : (KAFKA_ERRORS.get(typeOrCode) ?? BY_KAFKA_NAME.get(typeOrCode));
  if (row === undefined) throw new RangeError(`unknown Kafka error ${String(typeOrCode)}`);
  return row;
}

/** The error types the twin raises. A literal union keeps call sites honest. */
export type TwinErrorType =
  | 'UNKNOWN'
  | 'OFFSET_OUT_OF_RANGE'
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'LEADER_NOT_AVAILABLE'
  | 'NOT_LEADER_FOR_PARTITION'
  | 'REQUEST_TIMED_OUT'
  | 'MESSAGE_TOO_LARGE'
  | 'RECORD_LIST_TOO_LARGE'
  | 'GROUP_LOAD_IN_PROGRESS'
  | 'GROUP_COORDINATOR_NOT_AVAILABLE'
  | 'NOT_COORDINATOR_FOR_GROUP'
  | 'INVALID_TOPIC_EXCEPTION'
  | 'NOT_ENOUGH_REPLICAS'
  | 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'
  | 'INVALID_REQUIRED_ACKS'
  | 'ILLEGAL_GENERATION'
  | 'INCONSISTENT_GROUP_PROTOCOL'
  | 'INVALID_GROUP_ID'
  | 'UNKNOWN_MEMBER_ID'
  | 'INVALID_SESSION_TIMEOUT'
  | 'REBALANCE_IN_PROGRESS'
  | 'INVALID_COMMIT_OFFSET_SIZE'
  | 'INVALID_TIMESTAMP'
  | 'TOPIC_ALREADY_EXISTS'
  | 'INVALID_PARTITIONS'
  | 'INVALID_REPLICATION_FACTOR'
  | 'INVALID_REPLICA_ASSIGNMENT'
  | 'NO_REASSIGNMENT_IN_PROGRESS'
  | 'INVALID_CONFIG'
  | 'INVALID_REQUEST'
  | 'POLICY_VIOLATION'
  | 'SECURITY_DISABLED'
  | 'NON_EMPTY_GROUP'
  | 'GROUP_ID_NOT_FOUND'
  | 'MEMBER_ID_REQUIRED'
  | 'GROUP_MAX_SIZE_REACHED'
  | 'GROUP_SUBSCRIBED_TO_TOPIC'
  | 'INVALID_RECORD'
  | 'TOPIC_DELETION_DISABLED'
  | 'FENCED_INSTANCE_ID'
  | 'OFFSET_METADATA_TOO_LARGE'
  // Idempotent and transactional producers (emulator/producers.ts).
  | 'OUT_OF_ORDER_SEQUENCE_NUMBER'
  | 'INVALID_PRODUCER_EPOCH'
  | 'INVALID_TXN_STATE'
  | 'TRANSACTION_COORDINATOR_FENCED'
  | 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'
  | 'CONCURRENT_TRANSACTIONS'
  | 'INVALID_PRODUCER_ID_MAPPING'
  | 'INVALID_TRANSACTION_TIMEOUT'
  | 'PRODUCER_FENCED'
  | 'UNSTABLE_OFFSET_COMMIT';

/**
 * Builds the kafkajs error a real cluster would surface for `type`. `detail` names the problem
 * (the topic, the setting, the numbers); `where` adds topic and partition where kafkajs has them.
 */
export function protocolError(
  type: TwinErrorType,
  detail?: string,
  where?: { topic?: string; partition?: number },
): KafkaJSProtocolError {
  const row = kafkaError(type);
  const e = { type: row.type, code: row.code, retriable: row.retriable, message: detail ?? row.message };
  if (type === 'OFFSET_OUT_OF_RANGE' && where?.topic !== undefined && where.partition !== undefined) {
    return new KafkaJSOffsetOutOfRange(e as unknown as Error, { topic: where.topic, partition: where.partition });
  }
  if (where?.topic !== undefined && isTopicCreationError(type)) {
    return new KafkaJSCreateTopicError(e as unknown as Error, where.topic);
  }
  return new KafkaJSProtocolError(e as unknown as Error);
}

function isTopicCreationError(type: TwinErrorType): boolean {
  return (
    type === 'TOPIC_ALREADY_EXISTS' ||
    type === 'INVALID_TOPIC_EXCEPTION' ||
    type === 'INVALID_PARTITIONS' ||
    type === 'INVALID_REPLICATION_FACTOR' ||
    type === 'INVALID_REPLICA_ASSIGNMENT' ||
    type === 'INVALID_CONFIG'
  );
}

/** The error a client sees when a broker cannot be reached (stopped or cut off). */
export function brokerUnreachable(brokerId: number, why: string): KafkaJSConnectionError {
  return new KafkaJSConnectionError(`Connection error: broker ${brokerId} is ${why}`, { broker: `broker-${brokerId}` });
}

/** True when `e` is a kafkajs protocol error of the given type. */
export function isProtocolError(e: unknown, type?: TwinErrorType): e is KafkaJSProtocolError {
  return e instanceof KafkaJSProtocolError && (type === undefined || e.type === type);
}

// ---------------------------------------------------------------- errors as data

/** The code of "no error" in every Kafka response. */
export const NONE = 0;

/**
 * The error part of an engine answer, as Kafka's responses carry it: the code (0: none) and, for
 * a failure, a message that names the problem (the topic, the setting, the numbers). The twin
 * client turns it into kafkajs's error class; the wire front end puts the code into the response.
 */
export interface ErrorPart {
  readonly errorCode: number;
  /** Null or absent: Kafka's own description of the code. */
  readonly errorMessage?: string | null;
}

/** A failed answer: a code other than {@link NONE}. */
export interface Failure extends ErrorPart {
  readonly errorMessage: string | null;
}

/**
 * The answer a request gets when the broker it was sent to cannot be reached (stopped, or cut off
 * by a fault): no answer at all. Kafka's clients report it as NETWORK_EXCEPTION, so the engine
 * uses that code and names the broker; the twin client raises kafkajs's connection error.
 */
export interface Unreachable extends Failure {
  readonly errorCode: 13;
  readonly broker: number;
}

/** Builds a failed answer for `type`, with `detail` as its message (null: Kafka's description). */
export function failure(type: TwinErrorType, detail?: string): Failure {
  return { errorCode: kafkaError(type).code, errorMessage: detail ?? null };
}

/** The answer from a broker that cannot be reached. */
export function unreachable(brokerId: number, why: string): Unreachable {
  return { errorCode: 13, errorMessage: `Connection error: broker ${brokerId} is ${why}`, broker: brokerId };
}

/** True when the answer carries an error. */
export function isFailure(part: ErrorPart): part is Failure {
  return part.errorCode !== NONE;
}

const { KafkaJSMemberIdRequired } = kafkajsErrors;

/** Where kafkajs's error for an answer carries more than the code: the partition, the new member id. */
export interface ErrorContext {
  readonly topic?: string;
  readonly partition?: number;
  /** MEMBER_ID_REQUIRED: the member id to rejoin with. */
  readonly memberId?: string;
}

/**
 * The kafkajs error a real cluster's answer surfaces as: KafkaJSConnectionError for a broker that
 * cannot be reached, KafkaJSMemberIdRequired, KafkaJSOffsetOutOfRange and KafkaJSCreateTopicError
 * where kafkajs builds those, KafkaJSProtocolError otherwise.
 */
export function errorOf(part: Failure | Unreachable, where: ErrorContext = {}): KafkaJSError {
  if (part.errorCode === 13 && 'broker' in part) {
    return new KafkaJSConnectionError(part.errorMessage ?? 'Connection error', { broker: `broker-${part.broker}` });
  }
  const row = kafkaError(part.errorCode);
  const type = row.type as TwinErrorType;
  // Every member of a rebalancing group gets one of these two, and a stack trace (captured twice by
  // kafkajs's error classes) says nothing about where a rebalance came from, so none is captured.
  if (type === 'MEMBER_ID_REQUIRED' || type === 'REBALANCE_IN_PROGRESS') {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      if (type === 'REBALANCE_IN_PROGRESS') return protocolError(type, part.errorMessage ?? undefined, where);
      const e = { type: row.type, code: row.code, retriable: row.retriable, message: part.errorMessage ?? row.message };
      return new KafkaJSMemberIdRequired(e as unknown as Error, { memberId: where.memberId ?? '' });
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
  return protocolError(type, part.errorMessage ?? undefined, where);
}

/** Returns the answer when it carries no error; throws its kafkajs error otherwise. */
export function orThrow<T extends ErrorPart>(answer: T, where?: ErrorContext): T {
  if (answer.errorCode !== NONE) throw errorOf(answer as unknown as Failure, where);
  return answer;
}
