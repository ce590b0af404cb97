/**
 * FindCoordinator (key 10), v0–v4. Any broker answers it: the coordinator of a group is the
 * leader of its `__consumer_offsets` partition, reported at the address this front end
 * advertises for that broker. v3 is flexible; v4 looks up several keys, each answered on its own
 * (one broker answers them all: a stopped or isolated one stays silent for the whole batch).
 * v5–v6 only add answers about transactions and share groups, which the twin does not have, so
 * they are not advertised. The twin has no transaction coordinator: key type 1 is answered
 * INVALID_REQUEST (not retriable, so a transactional producer fails at once instead of retrying
 * forever); Kafka answers that code for a key type it does not know.
 */
import type { FindCoordinatorAnswer } from '../../../emulator/groups/coordinator.js';
import { failure } from '../../../protocol/errors.js';
import { FindCoordinator } from '../../../protocol/wire/index.js';
import { handler, type WireContext } from '../handler.js';
import { isSilent, messageOf } from './group-answers.js';

const GROUP = 0;

function lookUp(ctx: WireContext, keyType: number, key: string): FindCoordinatorAnswer {
  if (keyType !== GROUP) {
    const why = failure('INVALID_REQUEST', `The twin has no coordinator for key type ${keyType} (only groups, key type 0)`);
    return { ...why, nodeId: -1, host: '', port: -1 };
  }
  const answer = ctx.engine.groupCoordinator.findCoordinator(key, { broker: ctx.brokerId });
  if (answer.nodeId < 0) return answer;
  // The engine's broker addresses are its own; clients must connect where this front end listens.
  const { host, port } = ctx.addressOf(answer.nodeId);
  return { ...answer, host, port };
}

export const findCoordinatorHandler = handler({
  api: FindCoordinator,
  versions: [0, 4],
  handle(ctx, version, request) {
    if (isSilent(ctx)) return 'unreachable';
    if (version >= 4) {
      const answers = request.coordinatorKeys.map((key) => ({ key, ...lookUp(ctx, request.keyType, key) }));
      return {
        throttleTimeMs: 0,
        coordinators: answers.map((a) => ({ key: a.key, nodeId: a.nodeId, host: a.host, port: a.port, errorCode: a.errorCode, errorMessage: messageOf(a) })),
      };
    }
    const answer = lookUp(ctx, request.keyType, request.key);
    return { throttleTimeMs: 0, errorCode: answer.errorCode, errorMessage: messageOf(answer), nodeId: answer.nodeId, host: answer.host, port: answer.port };
  },
});
