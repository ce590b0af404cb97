/**
 * kafkajs's ACL admin calls (`createAcls`, `describeAcls`, `deleteAcls`) over the twin. The twin's
 * brokers run without an authorizer, as Kafka does unless `authorizer.class.name` is set, so after
 * kafkajs's own validation every request is answered SECURITY_DISABLED (the wire front end's
 * handlers answer the same), which kafkajs hands back as it is: a KafkaJSProtocolError.
 */
import type { AclEntry, AclFilter } from 'kafkajs';
import { KafkaJSNonRetriableError, protocolError } from '../../protocol/errors.js';
import { AclEnums } from '../../protocol/kafkajs.js';

const valid = (table: Readonly<Record<string, number>>) => {
  const values = new Set(Object.values(table));
  return (v: unknown) => values.has(v as number);
};
const isOperation = valid(AclEnums.operationTypes);
const isPattern = valid(AclEnums.patternTypes);
const isPermission = valid(AclEnums.permissionTypes);
const isResource = valid(AclEnums.resourceTypes);

const optionalString = (v: unknown) => typeof v === 'string' || typeof v === 'undefined';

/** kafkajs's checks of the enums of each entry, in its order, with its messages. */
function validateEnums(entries: readonly (AclEntry | AclFilter)[]): void {
  const checks: [string, (e: AclEntry | AclFilter) => unknown, (v: unknown) => boolean][] = [
    ['operation type', (e) => e.operation, isOperation],
    ['resource pattern type', (e) => e.resourcePatternType, isPattern],
    ['permission type', (e) => e.permissionType, isPermission],
    ['resource type', (e) => e.resourceType, isResource],
  ];
  for (const [what, get, ok] of checks) {
    const bad = entries.find((e) => !ok(get(e)));
    if (bad) throw new KafkaJSNonRetriableError(`Invalid ${what} ${String(get(bad))}: ${JSON.stringify(bad)}`);
  }
}

/** The broker's answer to any ACL request: no authorizer is configured. */
function securityDisabled(): never {
  throw protocolError('SECURITY_DISABLED');
}

/** Validates as kafkajs's `createAcls`, then rejects as a broker without an authorizer answers. */
export function createAcls({ acl }: { acl: AclEntry[] }): never {
  if (!acl || !Array.isArray(acl)) throw new KafkaJSNonRetriableError(`Invalid ACL array ${String(acl)}`);
  if (acl.length === 0) throw new KafkaJSNonRetriableError('Empty ACL array');
  if (acl.some(({ principal }) => typeof principal !== 'string'))
    throw new KafkaJSNonRetriableError('Invalid ACL array, the principals have to be a valid string');
  if (acl.some(({ host }) => typeof host !== 'string')) throw new KafkaJSNonRetriableError('Invalid ACL array, the hosts have to be a valid string');
  if (acl.some(({ resourceName }) => typeof resourceName !== 'string'))
    throw new KafkaJSNonRetriableError('Invalid ACL array, the resourceNames have to be a valid string');
  validateEnums(acl);
  return securityDisabled();
}

/** Validates as kafkajs's `describeAcls`, then rejects as a broker without an authorizer answers. */
export function describeAcls(filter: AclFilter): never {
  const { resourceType, resourceName, resourcePatternType, principal, host, operation, permissionType } = filter;
  if (!optionalString(principal)) throw new KafkaJSNonRetriableError('Invalid principal, the principal have to be a valid string');
  if (!optionalString(host)) throw new KafkaJSNonRetriableError('Invalid host, the host have to be a valid string');
  if (!optionalString(resourceName)) throw new KafkaJSNonRetriableError('Invalid resourceName, the resourceName have to be a valid string');
  if (!isOperation(operation)) throw new KafkaJSNonRetriableError(`Invalid operation type ${String(operation)}`);
  if (!isPattern(resourcePatternType)) throw new KafkaJSNonRetriableError(`Invalid resource pattern filter type ${String(resourcePatternType)}`);
  if (!isPermission(permissionType)) throw new KafkaJSNonRetriableError(`Invalid permission type ${String(permissionType)}`);
  if (!isResource(resourceType)) throw new KafkaJSNonRetriableError(`Invalid resource type ${String(resourceType)}`);
  return securityDisabled();
}

/** Validates as kafkajs's `deleteAcls`, then rejects as a broker without an authorizer answers. */
export function deleteAcls({ filters }: { filters: AclFilter[] }): never {
  if (!filters || !Array.isArray(filters)) throw new KafkaJSNonRetriableError(`Invalid ACL Filter array ${String(filters)}`);
  if (filters.length === 0) throw new KafkaJSNonRetriableError('Empty ACL Filter array');
  if (filters.some(({ principal }) => !optionalString(principal)))
    throw new KafkaJSNonRetriableError('Invalid ACL Filter array, the principals have to be a valid string');
  if (filters.some(({ host }) => !optionalString(host))) throw new KafkaJSNonRetriableError('Invalid ACL Filter array, the hosts have to be a valid string');
  if (filters.some(({ resourceName }) => !optionalString(resourceName)))
    throw new KafkaJSNonRetriableError('Invalid ACL Filter array, the resourceNames have to be a valid string');
  validateEnums(filters);
  return securityDisabled();
}
