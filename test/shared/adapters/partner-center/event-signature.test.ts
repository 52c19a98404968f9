/**
 * Only events Partner Center signed get in: the signature over the raw body, the certificate's
 * chain to a trusted root (an intermediate fetched by the certificate's own link), its issuer's
 * organization and its validity. Certificates are served over HTTPS as Partner Center serves them.
 */
import type { ServerResponse } from 'node:http';
import {
  EventVerifier,
  microsoftRoots,
} from '../../../../shared/adapters/partner-center/event-signature';
import { reachesPublicAddress } from '../../../../shared/adapters/notifications/callback';
import { signingChain, type SigningChain } from '../../../../local/event-signing';
import { startHttpsServer, type RunningServer } from '../../../../local/http';
import { selfSignedCertificate, trustingFetch } from '../../../../local/tls';

let server: RunningServer;
let fetchTrusting: typeof fetch;
const served = new Map<string, Buffer>();
let chain: SigningChain;
let otherChain: SigningChain;

beforeAll(async () => {
  const tls = await selfSignedCertificate('certificates.local');
  server = await startHttpsServer(tls, async (_req, res: ServerResponse, url) => {
    const body = served.get(url.pathname);
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/pkix-cert' });
    res.end(body);
  });
  fetchTrusting = trustingFetch([tls.cert]);
  chain = await signingChain({ intermediateUrl: `${server.baseUrl}/intermediate.cer` });
  otherChain = await signingChain({ intermediateUrl: `${server.baseUrl}/other-intermediate.cer` });
  served.set('/intermediate.cer', chain.intermediateDer);
  served.set('/signing.cer', chain.signingDer);
  served.set('/other-intermediate.cer', otherChain.intermediateDer);
  served.set('/other-signing.cer', otherChain.signingDer);
});
afterAll(() => server.close());

const body = Buffer.from(
  JSON.stringify({
    EventName: 'referral-updated',
    ResourceUri: 'https://api.partnercenter.microsoft.com/engagements/v1/referrals/1',
    ResourceName: 'referral',
    AuditUri: null,
    ResourceChangeUtcDate: '2026-11-27T10:00:00Z',
  }),
);

const verifier = (overrides: Partial<ConstructorParameters<typeof EventVerifier>[0]> = {}) =>
  new EventVerifier({
    trustedRoots: [chain.rootPem],
    issuerOrganization: 'Microsoft Corporation',
    fetch: fetchTrusting,
    ...overrides,
  });

function headers(values: Record<string, string>) {
  const lower = new Map(Object.entries(values).map(([k, v]) => [k.toLowerCase(), v]));
  return { get: (name: string) => lower.get(name.toLowerCase()) ?? null };
}

const signed = (signature: string, certificate = '/signing.cer') =>
  headers({
    Authorization: `Signature ${signature}`,
    'X-MS-Certificate-Url': `${server.baseUrl}${certificate}`,
    'X-MS-Signature-Algorithm': 'rsa-sha256',
  });

test('an event signed by a certificate chaining to the trusted root is verified', async () => {
  expect(await verifier().verify(signed(chain.sign(body)), body)).toEqual({ ok: true });
});

test('the x-ms-signature header works as Authorization does', async () => {
  const h = headers({
    'x-ms-signature': `Signature ${chain.sign(body)}`,
    'x-ms-certificate-url': `${server.baseUrl}/signing.cer`,
    'x-ms-signature-algorithm': 'rsa-sha256',
  });
  expect(await verifier().verify(h, body)).toEqual({ ok: true });
});

test.each([
  [
    'a body altered after signing',
    () => signed(chain.sign(body)),
    Buffer.concat([body, Buffer.from(' ')]),
    'signatureInvalid',
  ],
  ['a signature by another key', () => signed(otherChain.sign(body)), body, 'signatureInvalid'],
  [
    'a chain to a root not trusted',
    () => signed(otherChain.sign(body), '/other-signing.cer'),
    body,
    'chainUntrusted',
  ],
  [
    'no signature',
    () =>
      headers({
        'x-ms-certificate-url': `${'https://x'}/c.cer`,
        'x-ms-signature-algorithm': 'rsa-sha256',
      }),
    body,
    'signatureMissing',
  ],
  [
    'a forged signature',
    () => signed(Buffer.alloc(256, 7).toString('base64')),
    body,
    'signatureInvalid',
  ],
  [
    'a certificate that is not there',
    () => signed(chain.sign(body), '/missing.cer'),
    body,
    'certificateUnavailable',
  ],
])('%s is refused', async (_what, make, payload, reason) => {
  expect(await verifier().verify(make(), payload)).toEqual({ ok: false, reason });
});

test('an algorithm other than RSA with SHA-2 is refused', async () => {
  const h = headers({
    Authorization: `Signature ${chain.sign(body)}`,
    'X-MS-Certificate-Url': `${server.baseUrl}/signing.cer`,
    'X-MS-Signature-Algorithm': 'rsa-sha1',
  });
  expect(await verifier().verify(h, body)).toEqual({ ok: false, reason: 'algorithmUnsupported' });
});

test('a certificate over plain http, or off the allowed hosts when a list is set, is refused', async () => {
  const http = headers({
    Authorization: `Signature ${chain.sign(body)}`,
    'X-MS-Certificate-Url': `${server.baseUrl.replace('https:', 'http:')}/signing.cer`,
    'X-MS-Signature-Algorithm': 'rsa-sha256',
  });
  expect(await verifier().verify(http, body)).toEqual({
    ok: false,
    reason: 'certificateUrlInvalid',
  });
  const listed = verifier({ certificateHosts: ['3psostorageacct.blob.core.windows.net'] });
  expect(await listed.verify(signed(chain.sign(body)), body)).toEqual({
    ok: false,
    reason: 'certificateHostNotAllowed',
  });
});

test('an issuer of another organization is refused', async () => {
  const foreign = await signingChain({
    intermediateUrl: `${server.baseUrl}/foreign-intermediate.cer`,
    issuerOrganization: 'Contoso Ltd',
  });
  served.set('/foreign-intermediate.cer', foreign.intermediateDer);
  served.set('/foreign-signing.cer', foreign.signingDer);
  const trusting = verifier({ trustedRoots: [foreign.rootPem] });
  expect(await trusting.verify(signed(foreign.sign(body), '/foreign-signing.cer'), body)).toEqual({
    ok: false,
    reason: 'issuerOrganizationMismatch',
  });
});

test('an expired signing certificate is refused', async () => {
  const old = await signingChain({
    intermediateUrl: `${server.baseUrl}/old-intermediate.cer`,
    notBefore: new Date(Date.now() - 3 * 86_400_000),
    notAfter: new Date(Date.now() - 86_400_000),
  });
  served.set('/old-intermediate.cer', old.intermediateDer);
  served.set('/old-signing.cer', old.signingDer);
  expect(
    await verifier({ trustedRoots: [old.rootPem] }).verify(
      signed(old.sign(body), '/old-signing.cer'),
      body,
    ),
  ).toEqual({ ok: false, reason: 'certificateExpired' });
});

test("by default only Microsoft's roots are trusted: the sandbox's test root is not", async () => {
  expect(microsoftRoots().length).toBeGreaterThan(0);
  const production = verifier({ trustedRoots: microsoftRoots() });
  expect(await production.verify(signed(chain.sign(body)), body)).toEqual({
    ok: false,
    reason: 'chainUntrusted',
  });
});

test('a certificate URL into the network is not fetched when the address policy says no', async () => {
  const guarded = verifier({
    mayFetch: (url) => reachesPublicAddress(url, { allowLoopback: false }),
  });
  // The test server is on loopback: as an internal address would be, it is never asked.
  expect(await guarded.verify(signed(chain.sign(body)), body)).toEqual({
    ok: false,
    reason: 'certificateUnavailable',
  });
});
