/**
 * SaslAuthenticate (API key 36). Carries one SASL token each way, after a v1 SaslHandshake;
 * SASL_AUTHENTICATION_FAILED ends the exchange. v1 adds the session lifetime (re-authentication,
 * KIP-368), v2 is flexible.
 */
import { api, f } from '../schema.js';

export const SaslAuthenticate = api({
  key: 36,
  name: 'SaslAuthenticate',
  versions: '0-2',
  flexible: '2+',
  request: [f('authBytes', 'bytes', '0+')],
  response: [
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    f('authBytes', 'bytes', '0+'),
    f('sessionLifetimeMs', 'int64', '1+', { default: 0 }),
  ],
});
