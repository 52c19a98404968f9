/**
 * How the sandbox signs webhook events the way Partner Center does: with a certificate that chains
 * to a root, published at a URL sent with every event. The sandbox's chain is its own, made at
 * start-up: a test root (trusted only by the local product's settings), an intermediate that the
 * signing certificate links to ("CA Issuers", fetched by the receiver as a real chain would be),
 * and the signing certificate. The organization is Partner Center's (`O=Microsoft Corporation`),
 * so the gateway's issuer check runs as in production; the OU says what it really is.
 */
import { createHash, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

const ORGANIZATION = 'O=Microsoft Corporation, OU=Local Partner Center sandbox (test only)';

export interface SigningChain {
  /** PEM of the test root: what the local product trusts, and nothing else does. */
  rootPem: string;
  /** DER of the intermediate, served where the signing certificate links. */
  intermediateDer: Buffer;
  /** DER of the signing certificate, served at the URL sent with each event. */
  signingDer: Buffer;
  /** `rsa-sha256` over the raw body, base64. */
  sign(body: Buffer): string;
}

export interface ChainOptions {
  /** Where the intermediate will be served (the signing certificate's "CA Issuers" link). */
  intermediateUrl: string;
  /** Validity of the signing certificate (default: a day either side of now). */
  notBefore?: Date;
  notAfter?: Date;
  /** Another organization on the issuer (to test the gateway refusing it). */
  issuerOrganization?: string;
}

const serial = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 16);

async function keys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
}

/** A root, an intermediate and a signing certificate, as a chain Partner Center's could be. */
export async function signingChain(options: ChainOptions): Promise<SigningChain> {
  const day = 24 * 60 * 60 * 1000;
  const now = Date.now();
  const rootKeys = await keys();
  const rootName = `CN=Local Partner Center Sandbox Test Root, ${ORGANIZATION}`;
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(`root${now}`),
    name: rootName,
    notBefore: new Date(now - day),
    notAfter: new Date(now + 365 * day),
    keys: rootKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
    ],
  });
  const intermediateKeys = await keys();
  const intermediateName = `CN=Local Partner Center Sandbox Notifications CA, ${
    options.issuerOrganization ? `O=${options.issuerOrganization}` : ORGANIZATION
  }`;
  const intermediate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(`intermediate${now}`),
    subject: intermediateName,
    issuer: root.subject,
    notBefore: new Date(now - day),
    notAfter: new Date(now + 365 * day),
    publicKey: intermediateKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
    ],
  });
  const signingKeys = await keys();
  const signing = await x509.X509CertificateGenerator.create({
    serialNumber: serial(`signing${now}`),
    subject: `CN=pcnotifications-dispatch.sandbox.local, ${ORGANIZATION}`,
    issuer: intermediate.subject,
    notBefore: options.notBefore ?? new Date(now - day),
    notAfter: options.notAfter ?? new Date(now + day),
    publicKey: signingKeys.publicKey,
    signingKey: intermediateKeys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.AuthorityInfoAccessExtension({
        caIssuers: new x509.GeneralName('url', options.intermediateUrl),
      }),
    ],
  });
  const privateKey = Buffer.from(
    await webcrypto.subtle.exportKey('pkcs8', signingKeys.privateKey),
  ).toString('base64');
  const pem = `-----BEGIN PRIVATE KEY-----\n${privateKey.match(/.{1,64}/g)?.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return {
    rootPem: root.toString('pem'),
    intermediateDer: Buffer.from(intermediate.rawData),
    signingDer: Buffer.from(signing.rawData),
    sign: (body) => sign('sha256', body, pem).toString('base64'),
  };
}
