/**
 * The registry: every handler by API key. What ApiVersions advertises is read from here, so a key
 * is served exactly when it is listed. The group APIs come from groups.ts.
 */
import type { Handler } from '../handler.js';
import { addOffsetsToTxn } from './add-offsets-to-txn.js';
import { addPartitionsToTxn } from './add-partitions-to-txn.js';
import { alterConfigs } from './alter-configs.js';
import { alterPartitionReassignments } from './alter-partition-reassignments.js';
import { advertised, apiVersionsHandler } from './api-versions.js';
import { createAcls } from './create-acls.js';
import { createPartitions } from './create-partitions.js';
import { createTopics } from './create-topics.js';
import { deleteAcls } from './delete-acls.js';
import { deleteRecords } from './delete-records.js';
import { deleteTopics } from './delete-topics.js';
import { describeAcls } from './describe-acls.js';
import { describeConfigs } from './describe-configs.js';
import { describeProducers } from './describe-producers.js';
import { describeTransactions } from './describe-transactions.js';
import { endTxn } from './end-txn.js';
import { fetch } from './fetch.js';
import { GROUP_HANDLERS } from './groups.js';
import { initProducerId } from './init-producer-id.js';
import { listOffsets } from './list-offsets.js';
import { listPartitionReassignments } from './list-partition-reassignments.js';
import { listTransactions } from './list-transactions.js';
import { metadata } from './metadata.js';
import { produce } from './produce.js';
import { saslHandshake } from './sasl-handshake.js';
import { txnOffsetCommit } from './txn-offset-commit.js';
import { writeTxnMarkers } from './write-txn-markers.js';

const apiVersions = apiVersionsHandler(() => HANDLERS);

/** Every handler, in key order. */
export const HANDLERS: readonly Handler[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  saslHandshake,
  apiVersions,
  createTopics,
  deleteTopics,
  deleteRecords,
  describeAcls,
  createAcls,
  deleteAcls,
  describeConfigs,
  alterConfigs,
  createPartitions,
  alterPartitionReassignments,
  listPartitionReassignments,
  initProducerId,
  addPartitionsToTxn,
  addOffsetsToTxn,
  endTxn,
  writeTxnMarkers,
  txnOffsetCommit,
  describeProducers,
  describeTransactions,
  listTransactions,
  ...GROUP_HANDLERS,
] as readonly Handler[] as Handler[];

const BY_KEY = new Map(HANDLERS.map((h) => [h.api.key, h]));

/** The handler of an API key, or undefined for a key this broker does not serve. */
export function handlerFor(apiKey: number): Handler | undefined {
  return BY_KEY.get(apiKey);
}

/** ApiVersions' list of keys and versions: what an UNSUPPORTED_VERSION answer to ApiVersions carries. */
export function apiVersionRanges(): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return advertised(HANDLERS);
}
