/**
 * Loaded before every spec (.mocharc.json `require`): the twin's clients log as kafkajs's do, at
 * INFO to the console by default, which would bury the reporter's output under thousands of
 * "Consumer has joined the group" lines. kafkajs's own switch turns them off for the suite; a
 * spec about logging sets its level itself and lifts the switch while it runs.
 */
process.env.KAFKAJS_LOG_LEVEL ??= 'NOTHING';
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
