/**
 * The group API handlers, for the registry (handlers/index.ts) to spread in: the classic
 * consumer-group protocol as kafkajs 2.2.4 speaks it, each answered by the engine's group
 * coordinator with the receiving broker named, so a broker that is not a group's coordinator
 * answers NOT_COORDINATOR and a stopped or isolated one stays silent.
 */
import type { Handler } from '../handler.js';
import { deleteGroupsHandler } from './group-delete.js';
import { describeGroupsHandler } from './group-describe.js';
import { findCoordinatorHandler } from './group-find-coordinator.js';
import { heartbeatHandler } from './group-heartbeat.js';
import { joinGroupHandler } from './group-join.js';
import { leaveGroupHandler } from './group-leave.js';
import { listGroupsHandler } from './group-list.js';
import { offsetCommitHandler } from './group-offset-commit.js';
import { offsetFetchHandler } from './group-offset-fetch.js';
import { syncGroupHandler } from './group-sync.js';

export const GROUP_HANDLERS: readonly Handler[] = [
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  deleteGroupsHandler,
];
