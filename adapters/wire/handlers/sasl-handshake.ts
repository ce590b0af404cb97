/**
 * SaslHandshake (key 17), as a broker with no SASL listener answers it. On a SASL listener the
 * authenticator answers the handshake before a request reaches the broker's request handler;
 * on a PLAINTEXT listener it does reach it, and Kafka's KafkaApis.handleSaslHandshakeRequest
 * answers ILLEGAL_SASL_STATE with no mechanisms (not UNSUPPORTED_SASL_MECHANISM, which needs a
 * SASL listener that lacks the mechanism asked for).
 */
import { SaslHandshake } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { code } from './codes.js';

export const saslHandshake = handler({
  api: SaslHandshake,
  versions: [0, 1],
  handle: () => ({ errorCode: code('ILLEGAL_SASL_STATE'), mechanisms: [] }),
});
