/**
 * Proves that a webhook event comes from Partner Center, as its webhook page describes the check:
 * the signature (`Authorization: Signature <base64>`, or `x-ms-signature`) is RSA over the raw
 * body bytes with the hash `X-MS-Signature-Algorithm` names; the certificate at
 * `X-MS-Certificate-Url` must chain to a trusted root ("a certificate that chains to the Microsoft
 * Root"), be issued by the expected organization (`O=Microsoft Corporation`) and be valid now.
 * Microsoft documents no certificate host: an allow-list of hosts is an optional policy on top,
 * never the control. Intermediates come from configuration or from the certificate's own
 * "CA Issuers" link; every download has a timeout and a size bound, and is cached.
 */
import { X509Certificate, verify as verifySignature } from 'node:crypto';
import { rootCertificates } from 'node:tls';

export interface EventVerifierOptions {
  /** PEM certificates of the roots a chain must end in. */
  trustedRoots: readonly string[];
  /** PEM certificates of intermediates, besides those the certificates link to. */
  intermediates?: readonly string[];
  /** The organization (`O=`) the signing certificate's issuer must name. */
  issuerOrganization: string;
  /** Hosts the certificate may be downloaded from; absent: any HTTPS host. */
  certificateHosts?: readonly string[];
  fetch?: typeof fetch;
  now?: () => Date;
  /** Per download. */
  timeoutMs?: number;
  /** How long a downloaded certificate is reused. */
  cacheMs?: number;
  /**
   * Whether a certificate URL the sender named may be fetched (its host resolving to public
   * addresses only), so an event cannot point the gateway into its own network.
   */
  mayFetch?: (url: URL) => Promise<boolean>;
}

/** Why an event was refused: for the logs only (the caller hears one answer for all). */
export type EventRefusal =
  | 'signatureMissing'
  | 'algorithmUnsupported'
  | 'certificateUrlInvalid'
  | 'certificateHostNotAllowed'
  | 'certificateUnavailable'
  | 'certificateInvalid'
  | 'certificateExpired'
  | 'chainUntrusted'
  | 'issuerOrganizationMismatch'
  | 'signatureInvalid';

export type EventVerification = { ok: true } | { ok: false; reason: EventRefusal };

/** Headers as the HTTP edge has them, looked up case-insensitively. */
export interface EventHeaders {
  get(name: string): string | null;
}

const HASHES: Record<string, string> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };
const MAX_CERTIFICATE_BYTES = 64 * 1024;
const MAX_CHAIN = 6;

/** The Microsoft roots of Node's bundled (Mozilla) store: the default trust for events. */
export function microsoftRoots(): string[] {
  return rootCertificates.filter((pem) =>
    /(^|\n)O=Microsoft Corporation(\n|$)/.test(new X509Certificate(pem).subject),
  );
}

/** Every certificate in a PEM bundle. */
export function pemCertificates(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function parseCertificate(bytes: Buffer): X509Certificate | undefined {
  try {
    return new X509Certificate(bytes);
  } catch {
    return undefined;
  }
}

/** The organizations (`O=`) of a distinguished name as Node prints it (one field per line). */
const organizationsOf = (name: string) =>
  name
    .split('\n')
    .filter((line) => line.startsWith('O='))
    .map((line) => line.slice(2));

export class EventVerifier {
  private readonly roots: X509Certificate[];
  private readonly intermediates: X509Certificate[];
  private readonly cache = new Map<string, { certificate: X509Certificate; until: number }>();
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => Date;

  constructor(private readonly options: EventVerifierOptions) {
    this.roots = options.trustedRoots.map((pem) => new X509Certificate(pem));
    this.intermediates = (options.intermediates ?? []).map((pem) => new X509Certificate(pem));
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? (() => new Date());
  }

  async verify(headers: EventHeaders, body: Buffer): Promise<EventVerification> {
    const refuse = (reason: EventRefusal): EventVerification => ({ ok: false, reason });
    const signature = signatureOf(headers);
    const certificateUrl = headers.get('x-ms-certificate-url')?.trim();
    const algorithm = headers.get('x-ms-signature-algorithm')?.trim().toLowerCase() ?? '';
    if (!signature || !certificateUrl || !algorithm) return refuse('signatureMissing');
    const [scheme, hashName] = algorithm.split('-', 2);
    const hash = scheme === 'rsa' ? HASHES[hashName ?? ''] : undefined;
    if (!hash) return refuse('algorithmUnsupported');
    let url: URL;
    try {
      url = new URL(certificateUrl);
    } catch {
      return refuse('certificateUrlInvalid');
    }
    if (url.protocol !== 'https:') return refuse('certificateUrlInvalid');
    const hosts = this.options.certificateHosts;
    if (hosts && !hosts.some((h) => h.toLowerCase() === url.hostname.toLowerCase())) {
      return refuse('certificateHostNotAllowed');
    }
    const leaf = await this.download(url);
    if (!leaf) return refuse('certificateUnavailable');
    const chain = await this.chainOf(leaf);
    if (chain !== 'trusted') return refuse(chain);
    const wanted = this.options.issuerOrganization;
    if (!organizationsOf(leaf.issuer).includes(wanted)) return refuse('issuerOrganizationMismatch');
    let valid = false;
    try {
      valid = verifySignature(hash, body, leaf.publicKey, signature);
    } catch {
      valid = false;
    }
    return valid ? { ok: true } : refuse('signatureInvalid');
  }

  /** Walks issuer by issuer to a trusted root, every certificate valid now. */
  private async chainOf(
    leaf: X509Certificate,
  ): Promise<'trusted' | 'certificateExpired' | 'certificateInvalid' | 'chainUntrusted'> {
    let current = leaf;
    const now = this.now().getTime();
    for (let depth = 0; depth < MAX_CHAIN; depth++) {
      if (!(Date.parse(current.validFrom) <= now && now <= Date.parse(current.validTo))) {
        return 'certificateExpired';
      }
      if (depth > 0 && !current.ca) return 'certificateInvalid';
      const root = this.roots.find((r) => issued(r, current));
      if (root) return 'trusted';
      if (this.roots.some((r) => r.fingerprint256 === current.fingerprint256)) return 'trusted';
      const issuer =
        this.intermediates.find((c) => issued(c, current)) ?? (await this.linkedIssuer(current));
      if (!issuer) return 'chainUntrusted';
      current = issuer;
    }
    return 'chainUntrusted';
  }

  /** The issuer a certificate names in its "CA Issuers" link, if it really issued it. */
  private async linkedIssuer(certificate: X509Certificate): Promise<X509Certificate | undefined> {
    const links = (certificate.infoAccess ?? '')
      .split('\n')
      .filter((line) => line.startsWith('CA Issuers - URI:'))
      .map((line) => line.slice('CA Issuers - URI:'.length).trim());
    for (const link of links) {
      let url: URL;
      try {
        url = new URL(link);
      } catch {
        continue;
      }
      // Certificates vouch for themselves by their signatures; plain http is how CAs publish them.
      if (url.protocol !== 'https:' && url.protocol !== 'http:') continue;
      const candidate = await this.download(url);
      if (candidate && issued(candidate, certificate)) return candidate;
    }
    return undefined;
  }

  private async download(url: URL): Promise<X509Certificate | undefined> {
    const cached = this.cache.get(url.href);
    if (cached && cached.until > Date.now()) return cached.certificate;
    if (this.options.mayFetch && !(await this.options.mayFetch(url))) return undefined;
    try {
      const response = await this.fetchImpl(url.href, {
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
      if (!response.ok) return undefined;
      const declared = Number(response.headers.get('content-length') ?? NaN);
      if (Number.isFinite(declared) && declared > MAX_CERTIFICATE_BYTES) return undefined;
      const bytes = Buffer.from(await response.arrayBuffer());
      if (bytes.length > MAX_CERTIFICATE_BYTES) return undefined;
      const certificate = parseCertificate(bytes);
      if (certificate) {
        this.cache.set(url.href, {
          certificate,
          until: Date.now() + (this.options.cacheMs ?? 60 * 60 * 1000),
        });
      }
      return certificate;
    } catch {
      return undefined;
    }
  }
}

function issued(issuer: X509Certificate, subject: X509Certificate): boolean {
  try {
    return issuer.ca && subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** The signature bytes from `Authorization: Signature <b64>` or `x-ms-signature`. */
function signatureOf(headers: EventHeaders): Buffer | undefined {
  const raw = headers.get('x-ms-signature') ?? headers.get('authorization') ?? '';
  const match = /^\s*(?:Signature\s+)?([A-Za-z0-9+/=]{16,2048})\s*$/i.exec(raw);
  if (!match?.[1]) return undefined;
  return Buffer.from(match[1], 'base64');
}
