/**
 * What one API key's handler is: it reads a decoded request (protocol/wire's description of that
 * key), asks the engine, and returns the response body to encode in the same version. A handler
 * holds no state of its own and no Kafka logic: the engine decides, the handler translates
 * (field names, int64 as bigint, error codes already being Kafka's). One file per API key under
 * handlers/, as franz-go's kfake has one per key.
 */
import type { Engine } from '../../emulator/engine.js';
import type { ApiSchema, RequestOf, ResponseInput } from '../../protocol/wire/index.js';

/** What a handler knows of the connection a request came on. */
export interface WireContext {
  /** The engine behind every broker. */
  readonly engine: Engine;
  /** The broker this connection reached (its id as the engine numbers brokers). */
  readonly brokerId: number;
  /** The request header's client id. */
  readonly clientId: string | null;
  /** The client's address as Kafka reports it (`/127.0.0.1`). */
  readonly clientHost: string;
  /** The advertised address of every broker, by id (what Metadata and FindCoordinator answer). */
  readonly addressOf: (brokerId: number) => { readonly host: string; readonly port: number };
}

/**
 * A handler's outcome: the response body, or `null` when Kafka sends no response (Produce with
 * acks=0), or `'unreachable'` when the broker must not answer at all (the engine answered
 * NETWORK_EXCEPTION naming this broker: it is stopped or cut off).
 */
export type HandlerResult<A extends ApiSchema> = ResponseInput<A> | null | 'unreachable';

/** The handler of one API key. */
export interface Handler<A extends ApiSchema = ApiSchema> {
  readonly api: A;
  /** The versions this broker serves and advertises in ApiVersions (within the description's). */
  readonly versions: readonly [min: number, max: number];
  handle(ctx: WireContext, version: number, request: RequestOf<A>): HandlerResult<A> | Promise<HandlerResult<A>>;
}

/** Declares a handler with its types checked against the API's description. */
export function handler<A extends ApiSchema>(h: Handler<A>): Handler<A> {
  return h;
}
