/**
 * The group coordinator: Kafka's classic consumer-group protocol as the broker side sees it.
 * (Stub: being written.)
 */
import type { Cluster } from '../cluster.js';

/** Consumer groups of one cluster. Owned by the {@link Cluster}; reach it as `cluster.groups`. */
export class GroupCoordinator {
  constructor(private readonly cluster: Cluster) {
    void this.cluster;
  }
}
