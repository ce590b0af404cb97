/**
 * FindCoordinator (key 10), v0–v6. Any broker answers it: the coordinator of a group (key type 0)
 * is the leader of its `__consumer_offsets` partition, that of a transactional id (key type 1,
 * v1+) the leader of its `__transaction_state` partition (created on the first look-up, as Kafka
 * auto-creates it, answering COORDINATOR_NOT_AVAILABLE until it has a leader), reported at the
 * address this front end advertises for that broker. v3 is flexible; v4 looks up several keys,
 * each answered on its own (one broker answers them all: a stopped or isolated one stays silent
 * for the whole batch). v5 only lets the answer be TRANSACTION_ABORTABLE; v6 adds share groups
 * (key type 2, KIP-932), which a Kafka 3.9 broker answers COORDINATOR_NOT_AVAILABLE (code 15,
 * kafkajs's GROUP_COORDINATOR_NOT_AVAILABLE: no share coordinator) and INVALID_REQUEST before v6.
 * Any other key type is INVALID_REQUEST.
 */
import type { FindCoordinatorAnswer } from '../../../emulator/groups/coordinator.js';
import { failure } from '../../../protocol/errors.js';
import { FindCoordinator } from '../../../protocol/wire/index.js';
import { handler, type WireContext } from '../handler.js';
import { isSilent, messageOf } from './group-answers.js';

const GROUP = 0;
const TRANSACTION = 1;
const SHARE = 2;

function noCoordinator(name: 'INVALID_REQUEST' | 'GROUP_COORDINATOR_NOT_AVAILABLE', why: string): FindCoordinatorAnswer {
  return { ...failure(name, why), nodeId: -1, host: '', port: -1 };
}

function lookUp(ctx: WireContext, version: number, keyType: number, key: string): FindCoordinatorAnswer {
  let answer: FindCoordinatorAnswer;
  if (keyType === GROUP) answer = ctx.engine.groupCoordinator.findCoordinator(key, { broker: ctx.brokerId });
  else if (keyType === TRANSACTION) answer = ctx.engine.findTransactionCoordinator({ transactionalId: key, broker: ctx.brokerId });
  else if (keyType === SHARE && version >= 6) return noCoordinator('GROUP_COORDINATOR_NOT_AVAILABLE', 'The twin has no share coordinator (KIP-932)');
  else return noCoordinator('INVALID_REQUEST', `Key type ${keyType} is not known in FindCoordinator v${version}`);
  if (answer.nodeId < 0) return answer;
  // The engine's broker addresses are its own; clients must connect where this front end listens.
  const { host, port } = ctx.addressOf(answer.nodeId);
  return { ...answer, host, port };
}

export const findCoordinatorHandler = handler({
  api: FindCoordinator,
  versions: [0, 6],
  handle(ctx, version, request) {
    if (isSilent(ctx)) return 'unreachable';
    if (version >= 4) {
      const answers = request.coordinatorKeys.map((key) => ({ key, ...lookUp(ctx, version, request.keyType, key) }));
      return {
        throttleTimeMs: 0,
        coordinators: answers.map((a) => ({ key: a.key, nodeId: a.nodeId, host: a.host, port: a.port, errorCode: a.errorCode, errorMessage: messageOf(a) })),
      };
    }
    const answer = lookUp(ctx, version, request.keyType, request.key);
    return { throttleTimeMs: 0, errorCode: answer.errorCode, errorMessage: messageOf(answer), nodeId: answer.nodeId, host: answer.host, port: answer.port };
  },
});
