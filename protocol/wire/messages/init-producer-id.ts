/**
 * InitProducerId (API key 22). Gives an idempotent producer (null transactional id) a fresh
 * producer id and epoch 0; a transactional producer gets its id's producer id with the epoch
 * bumped, fencing older instances (and aborting their open transaction). v2 is flexible, v3 lets
 * a producer bump its own epoch after an error (KIP-360).
 */
import { api, f } from '../schema.js';

export const InitProducerId = api({
  key: 22,
  name: 'InitProducerId',
  versions: '0-5',
  flexible: '2+',
  request: [
    f('transactionalId', 'string', '0+', { nullable: '0+' }),
    f('transactionTimeoutMs', 'int32', '0+'),
    f('producerId', 'int64', '3+', { default: -1 }),
    f('producerEpoch', 'int16', '3+', { default: -1 }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '0+'),
    f('producerId', 'int64', '0+', { default: -1 }),
    f('producerEpoch', 'int16', '0+'),
  ],
});
