import { describe, expect, it } from 'vitest';
import { portalEvents } from './console-views.ts';

describe('the order timeline a merchant sees', () => {
  const at = new Date('2026-12-05T08:00:00Z');

  it("keeps the public fields and names no platform operator, while the merchant's own users stay named", () => {
    const events = portalEvents([
      {
        kind: 'manually_completed',
        detail: {
          source: 'operator:alice',
          channelAccountId: '7',
          remark: 'bank slip 123',
          previousState: 'closed',
        },
        alert: false,
        created_at: at,
      },
      { kind: 'closed', detail: { source: 'merchant_user:bob' }, alert: false, created_at: at },
    ]);
    expect(events).toEqual([
      {
        kind: 'manually_completed',
        detail: { source: 'operator', previousState: 'closed' },
        at: at.toISOString(),
      },
      { kind: 'closed', detail: { source: 'merchant_user:bob' }, at: at.toISOString() },
    ]);
  });
});
