import { correlationIdFrom } from '../../../shared/api/correlation';

const headers = (values: Record<string, string>) => new Headers(values);

test("the caller's x-correlation-id is kept", () => {
  expect(correlationIdFrom(headers({ 'x-correlation-id': 'flow-run-7' }))).toBe('flow-run-7');
});

test('else the trace id of a W3C traceparent', () => {
  expect(
    correlationIdFrom(
      headers({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }),
    ),
  ).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
});

test('unusable values are replaced by a fresh id, never echoed', () => {
  const injected = correlationIdFrom(headers({ 'x-correlation-id': 'a\u00e9b<script>' }));
  expect(injected).toMatch(/^[0-9a-f-]{36}$/);
  const zeroTrace = correlationIdFrom(
    headers({ traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' }),
  );
  expect(zeroTrace).toMatch(/^[0-9a-f-]{36}$/);
  expect(correlationIdFrom(headers({}))).not.toBe(correlationIdFrom(headers({})));
});
