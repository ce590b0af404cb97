/**
 * SaslHandshake (API key 17). Names the SASL mechanism; the broker answers the mechanisms it has
 * enabled (UNSUPPORTED_SASL_MECHANISM if not this one). In v0 the SASL tokens then follow as raw
 * size-prefixed frames; from v1 they travel in SaslAuthenticate requests. Never flexible.
 */
import { api, array, f } from '../schema.js';

export const SaslHandshake = api({
  key: 17,
  name: 'SaslHandshake',
  versions: '0-1',
  flexible: 'none',
  request: [f('mechanism', 'string', '0+')],
  response: [
    f('errorCode', 'int16', '0+'),
    f('mechanisms', array('string'), '0+'),
  ],
});
