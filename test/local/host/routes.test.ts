import { NotSupportedByLocalHost } from '../../../local/host/core-api';
import { byPrecedence, matchRoute, parseRoute } from '../../../local/host/routes';

const route = (template: string) => parseRoute(template, ['get'], 'fn');

describe('HTTP trigger routes', () => {
  it('binds parameters and matches literals case-insensitively', () => {
    expect(matchRoute(route('referrals/{id}'), ['Referrals', 'abc%2F1'])).toEqual({ id: 'abc/1' });
    expect(matchRoute(route('referrals/{id}'), ['referrals'])).toBeUndefined();
    expect(matchRoute(route('referrals/{id}'), ['referrals', 'a', 'b'])).toBeUndefined();
    expect(matchRoute(route('health'), ['healthz'])).toBeUndefined();
  });

  it('lets an optional last parameter be left out', () => {
    expect(matchRoute(route('items/{id?}'), ['items'])).toEqual({});
    expect(matchRoute(route('items/{id?}'), ['items', '7'])).toEqual({ id: '7' });
  });

  it('prefers the route with more literal segments', () => {
    const routes = [route('referrals/{id}/{part}'), route('referrals/operations/{operationId}')];
    expect(routes.sort(byPrecedence)[0]?.template).toBe('referrals/operations/{operationId}');
  });

  it('refuses constraints and catch-alls not at the end instead of matching them loosely', () => {
    expect(() => route('referrals/{id:guid}')).toThrow(NotSupportedByLocalHost);
    expect(() => route('files/{*path}/x')).toThrow(/not supported by the local host/);
  });

  it('lets a catch-all take the rest of the path, even nothing, and ranks it last', () => {
    expect(matchRoute(route('{*path}'), ['referrals', 'a%20b', 'c'])).toEqual({
      path: 'referrals/a b/c',
    });
    expect(matchRoute(route('{*path}'), [])).toEqual({ path: '' });
    expect(matchRoute(route('files/{*path}'), ['files'])).toEqual({ path: '' });
    const routes = [route('{*path}'), route('health'), route('referrals/{id}')];
    expect(routes.sort(byPrecedence).map((r) => r.template)).toEqual([
      'referrals/{id}',
      'health',
      '{*path}',
    ]);
  });

  it('keeps the methods upper-case', () => {
    expect(parseRoute('x', ['get', 'Post'], 'fn').methods).toEqual(['GET', 'POST']);
  });
});
