/**
 * Small helpers for driving the coordinator request by request in unit tests. The specs call it
 * through `cluster.groups` (adapters/twin/groups.ts), so each outcome is asserted as the kafkajs
 * error its code surfaces as; coordinator.spec.ts checks the codes themselves.
 */
import { expect } from 'chai';
import { TwinCluster as Cluster } from '../../adapters/twin/cluster.js';
import type { ClusterEvent } from '../../emulator/events.js';
import type { JoinGroupRequest, JoinGroupResponse } from '../../emulator/groups/coordinator.js';
import { subscription } from './harness.js';

/** A virtual-clock cluster with group settings convenient for tests. */
export function newCluster(options: { brokers?: number; seed?: number; config?: Record<string, string | number | boolean> } = {}): Cluster {
  const cluster = new Cluster({
    brokers: options.brokers ?? 1,
    clock: 'virtual',
    seed: options.seed ?? 1,
    // The specs state cluster times from 0, not from the cluster's default start.
    startTime: 0,
    config: { 'group.initial.rebalance.delay.ms': 0, ...options.config },
  });
  return cluster;
}

/** Consumer-protocol protocols for `topics`, one per assignor name. */
export function protocols(topics: readonly string[], names: readonly string[] = ['roundrobin']): { name: string; metadata: Buffer }[] {
  return names.map((name) => ({ name, metadata: subscription(topics) }));
}

/** A JoinGroup request with defaults for everything but what is given. */
export function joinRequest(groupId: string, overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId,
    memberId: '',
    clientId: 'client',
    sessionTimeout: 10000,
    rebalanceTimeout: 20000,
    protocolType: 'consumer',
    protocols: protocols(['t']),
    ...overrides,
  };
}

/** Runs the MEMBER_ID_REQUIRED round trip and returns the member id to join with. */
export async function memberIdFor(cluster: Cluster, request: JoinGroupRequest): Promise<string> {
  const e = await cluster.groups.joinGroup({ ...request, memberId: '' }).then(
    () => expect.fail('expected MEMBER_ID_REQUIRED'),
    (err: unknown) => err as { type: string; memberId: string },
  );
  expect(e.type).to.equal('MEMBER_ID_REQUIRED');
  return e.memberId;
}

/** Starts a JoinGroup with a fresh member id (after MEMBER_ID_REQUIRED); the promise resolves when the join phase ends. */
export async function startJoin(cluster: Cluster, request: JoinGroupRequest): Promise<{ memberId: string; joined: Promise<JoinGroupResponse> }> {
  const memberId = await memberIdFor(cluster, request);
  const joined = cluster.groups.joinGroup({ ...request, memberId });
  joined.catch(() => undefined);
  return { memberId, joined };
}

/** Asserts that `fn` throws (or its promise rejects with) a kafkajs protocol error of `type`. */
export async function expectError(fn: () => unknown, type: string): Promise<Error & { type?: string }> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${type}`).to.be.instanceOf(Error);
  expect((error as { type?: string }).type ?? (error as Error).name, (error as Error).message).to.equal(type);
  return error as Error & { type?: string };
}

/** Whether a promise has settled, without waiting for it. */
export function track<T>(promise: Promise<T>): { settled: () => boolean; value: () => T | undefined; error: () => unknown } {
  let settled = false;
  let value: T | undefined;
  let error: unknown;
  promise.then(
    (v) => {
      settled = true;
      value = v;
    },
    (e: unknown) => {
      settled = true;
      error = e;
    },
  );
  return { settled: () => settled, value: () => value, error: () => error };
}

/** The group events of one type, in order. */
export function eventsOf<T extends ClusterEvent['type']>(cluster: Cluster, type: T): Extract<ClusterEvent, { type: T }>[] {
  return cluster.events().filter((e): e is Extract<ClusterEvent, { type: T }> => e.type === type);
}

/** The `from -> to` state changes a group went through. */
export function transitions(cluster: Cluster, groupId: string): string[] {
  return eventsOf(cluster, 'group-state-changed')
    .filter((e) => e.groupId === groupId)
    .map((e) => `${e.from}->${e.to}`);
}
