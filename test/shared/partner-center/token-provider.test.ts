import { PartnerCenterTokenProvider } from '../../../shared/partner-center/token-provider';
import { fetchNetworkModule } from '../../../shared/partner-center/msal-network';
import { TableTokenCachePlugin } from '../../../shared/storage/token-cache-plugin';
import {
  startLocalPartnerCenter,
  PARTNER_CENTER_SCOPE,
  type LocalPartnerCenter,
} from '../../support/local-partner-center';
import { testTable } from '../../support/tables';

let local: LocalPartnerCenter;
beforeAll(async () => {
  local = await startLocalPartnerCenter();
});
afterAll(() => local.stop());

test('smoke', async () => {
  const table = testTable('tokens');
  const provider = new PartnerCenterTokenProvider({
    clientId: local.clientId,
    tenantId: local.identity.tenantId,
    authorityHost: local.identity.authorityHost,
    credential: { kind: 'secret', secret: local.clientSecret },
    scopes: [PARTNER_CENTER_SCOPE],
    initialRefreshToken: local.identity.issueRefreshToken(local.clientId),
    cachePlugin: new TableTokenCachePlugin(table, { partitionKey: 'msal', rowKey: 'x' }),
    networkClient: fetchNetworkModule(local.fetch),
  });
  const token = await provider.getAccessToken();
  expect(token.split('.')).toHaveLength(3);
});
