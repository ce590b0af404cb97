/**
 * The engine's calls in kafkajs's error style: what the twin's kafkajs-shaped clients (and the
 * public `Cluster`) call. The engine answers with Kafka's error codes; this turns a code into the
 * kafkajs error class a real cluster's answer would surface as, and nothing more.
 */
import { Engine } from '../../emulator/engine.js';
import { TwinGroups } from './groups.js';

/** The engine behind kafkajs's errors. */
export class TwinCluster extends Engine {
  /** Consumer groups: the group coordinator's answers as kafkajs's errors. */
  readonly groups: TwinGroups = new TwinGroups(this.groupCoordinator);
}
