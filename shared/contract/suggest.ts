/**
 * When a property name the contract does not know is a likely mistake for one it knows, and when
 * it is a plausible name of its own (a field Microsoft added): the forward-compatibility rule.
 *
 * An unknown name N, in an object whose known names are K, is a **likely mistake** for k in K when
 * - N is not a well-formed camelCase name (letters and digits, starting with a letter) and, with
 *   its separators and case dropped, equals k (`deal_value`, `Deal-Value` for `dealValue`); or
 * - N is at most 1 edit (insertion, deletion, substitution, case-insensitive) from k when N has at
 *   most 4 characters, at most 2 edits otherwise, **unless** N is k's singular or plural
 *   (k + "s"/"es", or "y" and "ies" swapped, either way): `tag` beside `tags` or `note` beside
 *   `notes` are plausible names of their own and are forwarded.
 * Every other well-formed name is a plausible new property: forwarded unchanged and reported.
 * (Names differing from a known one only by case are not unknown: they are that property.)
 */

/** Levenshtein distance, case-insensitive; small inputs only (property names). */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let previous = Array.from({ length: t.length + 1 }, (_, i) => i);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
    }
    previous = current;
  }
  return previous[t.length] ?? 0;
}

export const WELL_FORMED_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** One is the other's plural (or singular), in the ways English property names form them. */
function numberVariants(a: string, b: string): boolean {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  const plural = (one: string, many: string) =>
    many === `${one}s` ||
    many === `${one}es` ||
    (one.endsWith('y') && many === `${one.slice(0, -1)}ies`);
  return plural(x, y) || plural(y, x);
}

/** The known name `name` is a likely mistake for; undefined when it is a plausible name itself. */
export function likelyMistakeFor(name: string, known: readonly string[]): string | undefined {
  if (!WELL_FORMED_NAME.test(name)) {
    const bare = name.replace(/[^A-Za-z0-9]/g, '').toLowerCase();
    return known.find((k) => k.toLowerCase() === bare) ?? closestName(name, known);
  }
  const tolerance = name.length <= 4 ? 1 : 2;
  const { best, bestDistance } = nearest(name, known);
  if (best === undefined || bestDistance > tolerance || numberVariants(name, best))
    return undefined;
  return best;
}

/** The known name fewest edits away from `input`, and how many. */
function nearest(input: string, known: readonly string[]) {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(input, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return { best, bestDistance };
}

/** The known name closest to `input`, if it is close enough to suggest. */
export function closestName(input: string, known: readonly string[]): string | undefined {
  const { best, bestDistance } = nearest(input, known);
  return bestDistance <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined;
}
