/**
 * Text encrypted at rest with AES-256-GCM. A key ring holds the current key (every new seal) and
 * earlier ones (still opened), so a key is rotated by making the new one current and keeping the
 * old one until everything sealed with it has been written again.
 *
 * Sealed form: `aes256gcm:<key id>:<iv>:<tag>:<ciphertext>` (base64url parts); the key id is a
 * short hash of the key, so the settings hold keys only.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const PREFIX = 'aes256gcm';

export class KeyRing {
  private readonly keys = new Map<string, Buffer>();
  readonly currentId: string;

  constructor(current: string, previous: readonly string[] = []) {
    this.currentId = this.add(current);
    for (const key of previous) this.add(key);
  }

  private add(base64: string): string {
    const key = Buffer.from(base64.trim(), 'base64');
    if (key.length !== 32) throw new Error('An encryption key must be 256 bits (32 bytes)');
    const id = createHash('sha256').update(key).digest('base64url').slice(0, 8);
    this.keys.set(id, key);
    return id;
  }

  key(id: string): Buffer | undefined {
    return this.keys.get(id);
  }
}

export class SealedTextError extends Error {
  override name = 'SealedTextError';
}

export function isSealed(text: string): boolean {
  return text.startsWith(`${PREFIX}:`);
}

/** The key id a sealed text was made with. */
export function sealedWith(text: string): string | undefined {
  return isSealed(text) ? text.split(':')[1] : undefined;
}

export function seal(plain: string, ring: KeyRing): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', ring.key(ring.currentId) as Buffer, iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const parts = [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url'));
  return [PREFIX, ring.currentId, ...parts].join(':');
}

export function unseal(sealed: string, ring: KeyRing): string {
  const [prefix, id, iv, tag, data] = sealed.split(':');
  if (prefix !== PREFIX || !id || iv === undefined || tag === undefined || data === undefined) {
    throw new SealedTextError('The stored text is not in the sealed form');
  }
  const key = ring.key(id);
  if (!key) {
    throw new SealedTextError(
      `The stored text was sealed with key ${id}, which is not configured (current or previous)`,
    );
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plain = Buffer.concat([
      decipher.update(Buffer.from(data, 'base64url')),
      decipher.final(),
    ]);
    return plain.toString('utf8');
  } catch {
    throw new SealedTextError(`The stored text sealed with key ${id} failed its integrity check`);
  }
}
