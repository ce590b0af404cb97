/** DescribeAcls (key 29), as a broker without an authorizer answers it: SECURITY_DISABLED. */
import { DescribeAcls } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { code } from './codes.js';

export const NO_AUTHORIZER = 'No Authorizer is configured on the broker';

export const describeAcls = handler({
  api: DescribeAcls,
  versions: [0, 3],
  handle: () => ({ throttleTimeMs: 0, errorCode: code('SECURITY_DISABLED'), errorMessage: NO_AUTHORIZER, resources: [] }),
});
