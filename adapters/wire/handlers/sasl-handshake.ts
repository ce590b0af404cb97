/**
 * SaslHandshake (key 17), as a broker with no SASL listener: no mechanism is enabled, so any
 * asked for is UNSUPPORTED_SASL_MECHANISM, with the (empty) list of enabled ones.
 */
import { SaslHandshake } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { code } from './codes.js';

export const saslHandshake = handler({
  api: SaslHandshake,
  versions: [0, 1],
  handle: () => ({ errorCode: code('UNSUPPORTED_SASL_MECHANISM'), mechanisms: [] }),
});
