/**
 * The cooperative-sticky plan as a min-cost flow: which member each partition goes to, most even
 * loads first, then fewest partitions moved from their sticky owners. Indices only, no names, no
 * ownership claims: `assign.ts` builds the problem from the group and turns the answer into an assignment.
 */

/** The shape of the planning problem, by index: topics and members as sorted in the caller. */
export interface PlanInput {
  readonly memberCount: number;
  /** Per topic, the indices of its subscribers, ascending. */
  readonly subscribers: readonly (readonly number[])[];
  /** Per partition, its topic's index; partitions are ordered by topic, then partition id. */
  readonly topicOf: readonly number[];
  /** Per partition, its sticky owner's index, or -1. */
  readonly owner: readonly number[];
}

/**
 * The balanced, sticky plan: for each partition the index of the member it goes to (-1 when no
 * member subscribes to its topic).
 *
 * It is a min-cost flow. Each partition sends one unit to a member subscribed to its topic, at cost 0
 * to its sticky owner and 1 to anyone else; each member passes its units on at convex cost
 * `BALANCE * load^2`. With `BALANCE` above the largest possible move count the optimum is
 * lexicographic: the most even loads first (the least sum of squared loads, which with equal
 * subscriptions means everyone within one of each other), then the fewest owned partitions moved.
 * That ordering is what makes withholding settle: after a rebalance that withheld partitions, the
 * previous plan is still optimal and moves nothing owned, so the follow-up moves nothing owned
 * either, whatever the subscriptions.
 *
 * Partitions of one topic differ only in who owns them, so the network has a node per topic (its
 * unowned partitions, and the way between any two of its subscribers) and one per (topic, owner),
 * not one per partition; that keeps each shortest-path search to about topics x members arcs.
 * Solved by successive shortest paths, one unit per partition in topic-then-partition order, ties to
 * the lower member index; the counts are then dealt out as partitions, round-robin within a topic,
 * owners keeping their lowest-numbered partitions.
 */
export function plan({ memberCount, subscribers, topicOf, owner }: PlanInput): number[] {
  const topicCount = subscribers.length;
  const partitionCount = topicOf.length;

  // Group nodes: the partitions of one topic with one sticky owner.
  const groupOf = new Map<number, number>();
  const groupTopic: number[] = [];
  const groupMember: number[] = [];
  const groupsOfTopic: number[][] = Array.from({ length: topicCount }, () => []);
  const groupsOfMember: number[][] = Array.from({ length: memberCount }, () => []);
  for (let i = 0; i < partitionCount; i++) {
    const j = owner[i] as number;
    if (j < 0) continue;
    const t = topicOf[i] as number;
    const k = t * memberCount + j;
    if (groupOf.has(k)) continue;
    const g = groupTopic.length;
    groupOf.set(k, g);
    groupTopic.push(t);
    groupMember.push(j);
    (groupsOfTopic[t] as number[]).push(g);
    (groupsOfMember[j] as number[]).push(g);
  }
  const topicsOfMember: number[][] = Array.from({ length: memberCount }, () => []);
  subscribers.forEach((js, t) => {
    for (const j of js) (topicsOfMember[j] as number[]).push(t);
  });

  const groupCount = groupTopic.length;
  const hubBase = groupCount;
  const memberBase = groupCount + topicCount;
  const nodeCount = memberBase + memberCount;
  const keep = new Int32Array(groupCount); // flow group -> its owner
  const release = new Int32Array(groupCount); // flow group -> its topic's hub
  const hub = new Int32Array(topicCount * memberCount); // flow hub(t) -> member j, at t * memberCount + j
  const load = new Int32Array(memberCount);
  const balance = partitionCount + 1;

  const dist = new Float64Array(nodeCount);
  const pred = new Int32Array(nodeCount);
  const queued = new Uint8Array(nodeCount);
  const queue: number[] = [];

  for (let i = 0; i < partitionCount; i++) {
    const t = topicOf[i] as number;
    if ((subscribers[t] as readonly number[]).length === 0) continue;
    const j0 = owner[i] as number;
    const source = j0 >= 0 ? (groupOf.get(t * memberCount + j0) as number) : hubBase + t;

    // Bellman-Ford with a queue: giving a partition back to its owner's group has cost -1, so
    // Dijkstra does not apply; successive shortest paths keep the residual graph free of negative
    // cycles, so this terminates.
    dist.fill(Number.POSITIVE_INFINITY);
    dist[source] = 0;
    queue.length = 0;
    queue.push(source);
    queued[source] = 1;
    const relax = (u: number, v: number, cost: number): void => {
      const d = (dist[u] as number) + cost;
      if (d < (dist[v] as number)) {
        dist[v] = d;
        pred[v] = u;
        if (queued[v] === 0) {
          queued[v] = 1;
          queue.push(v);
        }
      }
    };
    for (let head = 0; head < queue.length; head++) {
      const u = queue[head] as number;
      queued[u] = 0;
      if (u < hubBase) {
        relax(u, memberBase + (groupMember[u] as number), 0);
        relax(u, hubBase + (groupTopic[u] as number), 1);
      } else if (u < memberBase) {
        const tu = u - hubBase;
        for (const j of subscribers[tu] as readonly number[]) relax(u, memberBase + j, 0);
        for (const g of groupsOfTopic[tu] as number[]) if ((release[g] as number) > 0) relax(u, g, -1);
      } else {
        const j = u - memberBase;
        for (const g of groupsOfMember[j] as number[]) if ((keep[g] as number) > 0) relax(u, g, 0);
        for (const tj of topicsOfMember[j] as number[]) if ((hub[tj * memberCount + j] as number) > 0) relax(u, hubBase + tj, 0);
      }
    }

    let target = -1;
    let best = Number.POSITIVE_INFINITY;
    for (let j = 0; j < memberCount; j++) {
      const total = (dist[memberBase + j] as number) + balance * (2 * (load[j] as number) + 1);
      if (total < best) {
        best = total;
        target = j;
      }
    }
    load[target] = (load[target] as number) + 1;
    for (let v = memberBase + target; v !== source; ) {
      const u = pred[v] as number;
      if (u < hubBase) {
        if (v >= memberBase) keep[u] = (keep[u] as number) + 1;
        else release[u] = (release[u] as number) + 1;
      } else if (u < memberBase) {
        if (v >= memberBase) hub[(u - hubBase) * memberCount + (v - memberBase)] += 1;
        else release[v] = (release[v] as number) - 1;
      } else if (v < hubBase) {
        keep[v] = (keep[v] as number) - 1;
      } else {
        hub[(v - hubBase) * memberCount + (u - memberBase)] -= 1;
      }
      v = u;
    }
  }

  // Turn counts into partitions.
  const assigned: number[] = new Array<number>(partitionCount).fill(-1);
  const pools: number[][] = Array.from({ length: topicCount }, () => []);
  const keptSoFar = new Int32Array(groupCount);
  for (let i = 0; i < partitionCount; i++) {
    const t = topicOf[i] as number;
    const j = owner[i] as number;
    if (j < 0) {
      (pools[t] as number[]).push(i);
      continue;
    }
    const g = groupOf.get(t * memberCount + j) as number;
    if ((keptSoFar[g] as number) < (keep[g] as number)) {
      keptSoFar[g] = (keptSoFar[g] as number) + 1;
      assigned[i] = j;
    } else {
      (pools[t] as number[]).push(i);
    }
  }
  pools.forEach((pool, t) => {
    const js = subscribers[t] as readonly number[];
    const quota = js.map((j) => hub[t * memberCount + j] as number);
    let k = 0;
    for (const i of pool) {
      while ((quota[k] as number) === 0) k = (k + 1) % js.length;
      assigned[i] = js[k] as number;
      quota[k] = (quota[k] as number) - 1;
      k = (k + 1) % js.length;
    }
  });
  return assigned;
}
