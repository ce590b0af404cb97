/** DeleteAcls (key 31), as a broker without an authorizer answers it: SECURITY_DISABLED for each filter. */
import { DeleteAcls } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { code } from './codes.js';
import { NO_AUTHORIZER } from './describe-acls.js';

export const deleteAcls = handler({
  api: DeleteAcls,
  versions: [0, 3],
  handle: (_ctx, _version, request) => ({
    throttleTimeMs: 0,
    filterResults: request.filters.map(() => ({ errorCode: code('SECURITY_DISABLED'), errorMessage: NO_AUTHORIZER, matchingAcls: [] })),
  }),
});
