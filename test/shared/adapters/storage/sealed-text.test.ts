import { randomBytes } from 'node:crypto';
import {
  KeyRing,
  seal,
  SealedTextError,
  unseal,
} from '../../../../shared/adapters/storage/sealed-text';

const key = () => randomBytes(32).toString('base64');

test('seals so the text cannot be read or changed without the key', () => {
  const ring = new KeyRing(key());
  const sealed = seal('refresh token rt.secret', ring);
  expect(sealed).not.toContain('rt.secret');
  expect(seal('same', ring)).not.toBe(seal('same', ring)); // a fresh IV each time
  expect(unseal(sealed, ring)).toBe('refresh token rt.secret');

  const parts = sealed.split(':');
  const data = Buffer.from(parts[4] as string, 'base64url');
  data[0] = (data[0] as number) ^ 1;
  parts[4] = data.toString('base64url');
  expect(() => unseal(parts.join(':'), ring)).toThrow(/failed its integrity check/);
});

test('opens text sealed with an earlier key while sealing with the current one', () => {
  const old = key();
  const sealedBefore = seal('cache', new KeyRing(old));
  const rotated = new KeyRing(key(), [old]);
  expect(unseal(sealedBefore, rotated)).toBe('cache');
  expect(seal('cache', rotated).split(':')[1]).toBe(rotated.currentId);
  expect(() => unseal(sealedBefore, new KeyRing(key()))).toThrow(SealedTextError);
});

test('refuses keys that are not 256 bits', () => {
  expect(() => new KeyRing(randomBytes(16).toString('base64'))).toThrow(/256 bits/);
});
