/**
 * TLS for the local stand-ins: a self-signed certificate made at start-up, and a `fetch` that
 * trusts it (plus the usual public roots) without touching the process-wide trust store.
 */
import { rootCertificates } from 'node:tls';
import { generate } from 'selfsigned';
import { Agent, fetch as undiciFetch } from 'undici';

export interface Certificate {
  key: string;
  cert: string;
}

export async function selfSignedCertificate(commonName: string): Promise<Certificate> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

/** A `fetch` that trusts the given certificates in addition to the public roots. */
export function trustingFetch(certificates: readonly string[]): typeof fetch {
  const dispatcher = new Agent({ connect: { ca: [...rootCertificates, ...certificates] } });
  return ((input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    })) as unknown as typeof fetch;
}
