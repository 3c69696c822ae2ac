import { describe, expect, it } from 'vitest';
import { attemptView } from './attempt-views.ts';

describe('notify attempt views', () => {
  it('keeps the start of a long answer only', () => {
    const view = attemptView(
      { eventType: 'order.paid', url: 'https://shop.example/notify' },
      {
        attempt: 1,
        httpStatus: 502,
        responseBody: 'x'.repeat(500),
        error: 'not acknowledged: HTTP 502',
        errorKind: 'http_status',
        durationMs: 12,
        at: '2026-01-01T00:00:00.000Z',
      },
    );
    expect(view).toMatchObject({ ok: false, failure: 'http_status', httpStatus: 502 });
    expect(view.responseExcerpt).toBe(`${'x'.repeat(200)}…`);
  });
});
