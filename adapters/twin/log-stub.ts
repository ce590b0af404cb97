/**
 * PLACEHOLDER for kafkajs-style logging (issue 15, being built in parallel): `loggerFor` gives
 * the `logger()` of the twin's clients a kafkajs `Logger` that writes nothing, so the clients have
 * kafkajs's shape. The logging work replaces this file: every `logger()` is a one-liner calling
 * `loggerFor(namespace)`.
 */
import type { Logger } from 'kafkajs';

const silent: Logger = {
  info: () => undefined,
  error: () => undefined,
  warn: () => undefined,
  debug: () => undefined,
  namespace: () => silent,
  setLogLevel: () => undefined,
};

/** The logger of one of kafkajs's namespaces ('Producer', 'Consumer', 'Admin', or '' for the client's root). */
export function loggerFor(_namespace: string): Logger {
  return silent;
}
