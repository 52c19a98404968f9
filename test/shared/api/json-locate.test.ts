import fc from 'fast-check';
import { lineAndColumn, locateJsonError } from '../../../shared/api/json-locate';

test.each([
  ['{"a": }', 6],
  ['{"a": 1,}', 8],
  ['[1, 2', 5],
  ['{"a": "b\\x"}', 9],
  ['{"a": tru}', 6],
  ['{} extra', 3],
  ['', 0],
])('finds where %j goes wrong', (text, position) => {
  expect(locateJsonError(text)).toBe(position);
});

test('valid JSON has no error position', () => {
  fc.assert(fc.property(fc.json(), (text) => locateJsonError(text) === -1));
});

test('it agrees with JSON.parse on what is valid, for any text', () => {
  const texts = fc.oneof(
    fc.string(),
    fc
      .json()
      .chain((json) =>
        fc
          .nat(json.length)
          .chain((at) =>
            fc.string({ maxLength: 2 }).map((s) => json.slice(0, at) + s + json.slice(at + 1)),
          ),
      ),
  );
  fc.assert(
    fc.property(texts, (text) => {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      const position = locateJsonError(text);
      return valid ? position === -1 : position >= 0 && position <= text.length;
    }),
    { numRuns: 2000 },
  );
});

test('positions become 1-based lines and columns', () => {
  expect(lineAndColumn('{\n  "a": }', 9)).toEqual({ line: 2, column: 8 });
  expect(lineAndColumn('abc', 0)).toEqual({ line: 1, column: 1 });
});
