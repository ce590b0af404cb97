/**
 * CreateTopics (key 19). In KRaft every broker forwards it to the controller, so any broker
 * accepts it. Explicit assignments replace the counts (partition i gets the assignment with
 * partitionIndex i); a null config value is left out. From v5 the answer carries the created
 * topic's counts and settings, from v7 its id.
 */
import type { ConfigInput } from '../../../emulator/config.js';
import { CreateTopics } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { CONFIG_SOURCE, wireTopicId } from './codes.js';

export const createTopics = handler({
  api: CreateTopics,
  versions: [0, 7],
  handle(ctx, _version, request) {
    const { engine } = ctx;
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => {
        const config: Record<string, ConfigInput> = {};
        for (const c of t.configs) if (c.value !== null) config[c.name] = c.value;
        const assignments = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex).map((a) => a.brokerIds);
        const answer = engine.createTopic(
          assignments.length > 0
            ? { topic: t.name, replicaAssignment: assignments, config }
            : { topic: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor, config },
          { validateOnly: request.validateOnly },
        );
        if (answer.errorCode !== 0) return { name: t.name, errorCode: answer.errorCode, errorMessage: answer.errorMessage, configs: null };
        const described = engine.describeTopicConfig(t.name);
        const configs =
          described.errorCode !== 0
            ? null
            : described.configs.map((c) => ({
                name: c.name,
                value: c.value,
                readOnly: false,
                configSource: CONFIG_SOURCE[c.source],
                isSensitive: false,
              }));
        return {
          name: t.name,
          topicId: wireTopicId(answer.topicId),
          errorCode: 0,
          errorMessage: null,
          numPartitions: answer.partitions.length,
          replicationFactor: answer.partitions[0]?.replicas.length ?? -1,
          configs,
        };
      }),
    };
  },
});
