/**
 * The one MSAL configuration of the integration user's app registration, used by the gateway's
 * token provider (a confidential client) and by the consent command (a public client).
 */
import { X509Certificate } from 'node:crypto';
import type { Configuration, ICachePlugin, INetworkModule } from '@azure/msal-node';

export type ClientCredential =
  | { kind: 'secret'; secret: string }
  | { kind: 'certificate'; privateKeyPem: string; thumbprintSha256: string; x5c?: string };

export interface MsalOptions {
  clientId: string;
  tenantId: string;
  /** e.g. https://login.microsoftonline.com */
  authorityHost: string;
  /** Absent for the public client of the consent command. */
  credential?: ClientCredential;
  cachePlugin?: ICachePlugin;
  networkClient?: INetworkModule;
}

export function msalConfiguration(options: MsalOptions): Configuration {
  const credential = options.credential;
  return {
    auth: {
      clientId: options.clientId,
      authority: `${options.authorityHost.replace(/\/+$/, '')}/${options.tenantId}`,
      knownAuthorities: [new URL(options.authorityHost).host],
      ...(credential?.kind === 'secret' ? { clientSecret: credential.secret } : {}),
      ...(credential?.kind === 'certificate'
        ? {
            clientCertificate: {
              privateKey: credential.privateKeyPem,
              thumbprintSha256: credential.thumbprintSha256,
              ...(credential.x5c ? { x5c: credential.x5c } : {}),
            },
          }
        : {}),
    },
    ...(options.cachePlugin ? { cache: { cachePlugin: options.cachePlugin } } : {}),
    ...(options.networkClient ? { system: { networkClient: options.networkClient } } : {}),
  };
}

/** A PEM holding the certificate and its private key, as Key Vault exports it. */
export function certificateCredential(pem: string): ClientCredential {
  const certificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  const privateKey =
    /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(
      pem,
    )?.[0];
  if (!certificate || !privateKey) {
    throw new Error(
      'PARTNER_CENTER_CLIENT_CERTIFICATE must be a PEM with a certificate and its private key',
    );
  }
  const x509 = new X509Certificate(certificate);
  return {
    kind: 'certificate',
    privateKeyPem: privateKey,
    thumbprintSha256: x509.fingerprint256.replace(/:/g, ''),
    x5c: x509.raw.toString('base64'),
  };
}
