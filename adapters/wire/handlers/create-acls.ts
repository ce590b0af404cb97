/** CreateAcls (key 30), as a broker without an authorizer answers it: SECURITY_DISABLED for each creation. */
import { CreateAcls } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { code } from './codes.js';
import { NO_AUTHORIZER } from './describe-acls.js';

export const createAcls = handler({
  api: CreateAcls,
  versions: [0, 3],
  handle: (_ctx, _version, request) => ({
    throttleTimeMs: 0,
    results: request.creations.map(() => ({ errorCode: code('SECURITY_DISABLED'), errorMessage: NO_AUTHORIZER })),
  }),
});
