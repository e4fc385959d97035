// The failure modes every adapter must map onto the same typed errors, as one reusable block of
// tests: 429 with Retry-After, 500 and 503, a hang past the attempt timeout, a reset connection,
// malformed JSON, and 400/401 answered with the provider's own error message.
import { expect, it } from 'vitest';
import { UpstreamError } from '../../src/errors';
import type { MockUpstream } from './mock-upstream';

/** The UpstreamError a call failed with (fails the test when it succeeds or throws another type). */
export async function upstreamFailure(call: Promise<unknown>): Promise<UpstreamError> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

export interface FailureSuite {
  mock: () => MockUpstream;
  /** One job against the mock with this per-attempt timeout. */
  run: (timeoutMs: number) => Promise<unknown>;
  /** Retry-After as this provider sends it (seconds), and the milliseconds it means. */
  retryAfter?: { header: string; ms: number };
}

export function itMapsUpstreamFailures(suite: FailureSuite): void {
  const retryAfter = suite.retryAfter ?? { header: '7', ms: 7_000 };

  it('turns 429 with Retry-After into a retryable error that says when to retry', async () => {
    suite.mock().failNext({ kind: 'status', status: 429, message: 'Too many requests, slow down', headers: { 'retry-after': retryAfter.header } });
    const error = await upstreamFailure(suite.run(2_000));
    expect(error).toMatchObject({ kind: 'http', statusCode: 429, isRetryable: true, retryAfterMs: retryAfter.ms });
    expect(error.message).toContain('Too many requests, slow down');
  });

  it('treats 500 and 503 as retryable', async () => {
    for (const status of [500, 503]) {
      suite.mock().failNext({ kind: 'status', status, message: `upstream broke with ${status}` });
      const error = await upstreamFailure(suite.run(2_000));
      expect(error).toMatchObject({ kind: 'http', statusCode: status, isRetryable: true });
    }
  });

  it('times out when the provider hangs past the attempt timeout', async () => {
    suite.mock().failNext({ kind: 'hang' });
    const started = Date.now();
    const error = await upstreamFailure(suite.run(300));
    expect(error).toMatchObject({ kind: 'timeout', isRetryable: true });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports a reset connection as a retryable connect failure', async () => {
    suite.mock().failNext({ kind: 'reset' });
    expect(await upstreamFailure(suite.run(2_000))).toMatchObject({ kind: 'connect', isRetryable: true });
  });

  it('reports malformed JSON as a protocol failure', async () => {
    suite.mock().failNext({ kind: 'malformed' });
    expect(await upstreamFailure(suite.run(2_000))).toMatchObject({ kind: 'protocol' });
  });

  it("passes on 400 as not retryable, with the provider's own message", async () => {
    suite.mock().failNext({ kind: 'status', status: 400, message: 'The request was malformed in a specific way' });
    const error = await upstreamFailure(suite.run(2_000));
    expect(error).toMatchObject({ kind: 'http', statusCode: 400, isRetryable: false });
    expect(error.message).toContain('The request was malformed in a specific way');
  });

  it('passes on 401 as not retryable', async () => {
    suite.mock().failNext({ kind: 'status', status: 401, message: 'Invalid credentials for this key' });
    const error = await upstreamFailure(suite.run(2_000));
    expect(error).toMatchObject({ kind: 'http', statusCode: 401, isRetryable: false });
    expect(error.message).toContain('Invalid credentials for this key');
  });
}
