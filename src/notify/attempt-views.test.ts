import { describe, expect, it } from 'vitest';
import { attemptView, notifyFailureKind } from './attempt-views.ts';

describe('notify attempt views', () => {
  it('names the kind of each failure the delivery records', () => {
    const cases: [string | null, string | null][] = [
      [null, null],
      ['not acknowledged: HTTP 500', 'not_acknowledged'],
      ['notify URL host 10.0.0.1 is not a public address (10.0.0.1)', 'address_not_allowed'],
      ['getaddrinfo ENOTFOUND shop.invalid', 'dns'],
      ['getaddrinfo EAI_AGAIN shop.example', 'dns'],
      ['connect ECONNREFUSED 127.0.0.1:9', 'refused'],
      ['Headers Timeout Error', 'timeout'],
      ['This operation was aborted', 'timeout'],
      ['The operation was aborted due to timeout', 'timeout'],
      ['read ECONNRESET', 'network'],
      ['other side closed', 'network'],
      ['app APP1 no longer exists', 'other'],
    ];
    for (const [error, kind] of cases)
      expect({ error, kind: notifyFailureKind(error) }).toEqual({ error, kind });
  });

  it('keeps the start of a long answer only', () => {
    const view = attemptView(
      { eventType: 'order.paid', url: 'https://shop.example/notify' },
      {
        attempt: 1,
        httpStatus: 502,
        responseBody: 'x'.repeat(500),
        error: 'not acknowledged: HTTP 502',
        durationMs: 12,
        at: '2026-01-01T00:00:00.000Z',
      },
    );
    expect(view).toMatchObject({ ok: false, failure: 'not_acknowledged', httpStatus: 502 });
    expect(view.responseExcerpt).toBe(`${'x'.repeat(200)}…`);
  });
});
