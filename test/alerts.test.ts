import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipientsFor } from '../src/alerts/service.ts';
import type { AlertKind, AlertRow, AlertSettings } from '../src/alerts/types.ts';
import { DEFAULT_SETTINGS } from '../src/alerts/types.ts';
import { signedRefundNotifyForm } from '../src/channels/sandbox/protocol.ts';
import type { NotificationRequest, Notifier } from '../src/notifications/types.ts';
import { addDays, localDate, startOfLocalDay } from '../src/stats/time.ts';
import { type ConsoleClient, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import {
  countSandboxAccountsAsReal,
  eventually,
  paidSandboxOrder,
  payOnSandbox,
  postChannelNotify,
  routeDemoToFirstAccount,
  sandboxPaidNotify,
  startTestPlatform,
  type TestPlatform,
} from './support/platform.ts';

/**
 * Operations alerts: each detector raises its alert from a real situation made through the
 * platform (orders, payments, notifies, refunds, reconciliation), one alert per kind and subject
 * with its count, notifications through the routing rules at most once per interval, acknowledge
 * and resolve with notes, automatic resolution, and an order's alert acknowledged from the order list.
 */

class RecordingNotifier implements Notifier {
  sent: NotificationRequest[] = [];
  async send(request: NotificationRequest) {
    this.sent.push(request);
    return { id: `n${this.sent.length}`, status: 'queued' as const };
  }
}

interface AlertView {
  id: string;
  kind: string;
  severity: string;
  state: string;
  subjectType: string;
  subjectId: string;
  subjectLabel: string;
  detail: Record<string, unknown>;
  count: number;
  autoResolved: boolean;
  acknowledgeNote: string | null;
  resolveNote: string | null;
  events?: { kind: string; by: string | null; note: string | null }[];
}

const MINUTE = 60_000;
const TZ = 'Asia/Shanghai';

describe.each(testDatabases)('operations alerts on $kind', (database) => {
  let t: TestPlatform;
  let op: ConsoleClient;
  let accountA: bigint;
  const notifier = new RecordingNotifier();
  const services = () => t.platform.services;

  beforeAll(async () => {
    t = await startTestPlatform(database, {}, { notifier });
    // The suite runs the detectors itself, at the moments it chooses: the worker's run is held off.
    await services().db.query(
      `INSERT INTO job_lease (name, leased_until, holder) VALUES ('detect-alerts', now() + interval '1 day', 'alerts-suite')
       ON CONFLICT (name) DO UPDATE SET leased_until = EXCLUDED.leased_until, holder = EXCLUDED.holder`,
    );
    await countSandboxAccountsAsReal(t);
    await routeDemoToFirstAccount(t);
    [accountA] = t.channelAccountIds as [bigint, bigint];
    op = await operatorConsole(t);
    await op.ok('POST', '/api/admin/alert-routes', {
      name: 'on call',
      kinds: [],
      minSeverity: 'warning',
      channel: 'email',
      address: 'oncall@example.com',
      locale: 'en',
      enabled: true,
    });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  const settings = (patch: Partial<AlertSettings>) =>
    op.ok('PUT', '/api/admin/alerts/settings', { ...DEFAULT_SETTINGS, ...patch });
  const detect = async (kind: AlertKind, now = new Date()) =>
    services().alerts.runDetector(services().alerts.detectorOf(kind)!, now);
  const alertsOf = async (kind: AlertKind, query = '') =>
    (
      await op.ok<{ items: AlertView[]; total: number }>(
        'GET',
        `/api/admin/alerts?kind=${kind}&pageSize=100${query}`,
      )
    ).items;
  const sentFor = (alertId: string) => notifier.sent.filter((n) => n.vars.alertId === alertId);
  const newOrder = (amount: number, notifyUrl?: string) =>
    t.client.createOrder({
      mchOrderNo: uniqueName('AL'),
      productCode: 'sandbox_qr',
      amount,
      subject: 'alerts',
      notifyUrl,
    });

  it('orders stuck paying raise one alert per account, seen again bumps its count and tells once; closing them resolves it', async () => {
    await settings({ payingStuck: { olderThanMinutes: 10, atLeast: 2 } });
    const orders = [await newOrder(101), await newOrder(102), await newOrder(103)];
    for (const o of orders)
      expect((await services().orders.requireByOrderNo(o.orderNo)).state).toBe('paying');
    // Not yet old enough.
    expect((await detect('channel.paying_stuck')).raised).toBe(0);
    const later = new Date(Date.now() + 11 * MINUTE);
    expect(await detect('channel.paying_stuck', later)).toMatchObject({ raised: 1, seen: 0 });
    expect(await detect('channel.paying_stuck', new Date(later.getTime() + MINUTE))).toMatchObject({
      raised: 0,
      seen: 1,
    });
    const [alert] = await alertsOf('channel.paying_stuck');
    expect(alert).toMatchObject({
      subjectType: 'channel_account',
      subjectId: String(accountA),
      state: 'open',
      count: 2,
      severity: 'warning',
      detail: { paying: 3, olderThanMinutes: 10, threshold: 2 },
    });
    // Two detections, one notification (the interval has not passed).
    expect(sentFor(alert!.id)).toHaveLength(1);
    expect(sentFor(alert!.id)[0]).toMatchObject({
      event: 'alert.raised',
      recipient: { channel: 'email', address: 'oncall@example.com', locale: 'en' },
      urgent: false,
      vars: { kind: 'Orders stuck in paying', severity: 'Warning', count: '1', subject: alert!.subjectLabel },
    });
    expect(sentFor(alert!.id)[0]!.vars.summary).toBe('3 orders paying for more than 10 minutes');
    // Past the interval while still open: told again.
    await detect('channel.paying_stuck', new Date(later.getTime() + 31 * MINUTE));
    expect(sentFor(alert!.id)).toHaveLength(2);

    for (const o of orders) {
      await services().orders.close(await services().orders.requireByOrderNo(o.orderNo), 'merchant');
    }
    expect((await detect('channel.paying_stuck', new Date(later.getTime() + 32 * MINUTE))).resolved).toBe(1);
    const resolved = await op.ok<AlertView>('GET', `/api/admin/alerts/${alert!.id}`);
    expect(resolved).toMatchObject({ state: 'resolved', autoResolved: true, count: 3 });
    expect(resolved.events!.map((e) => e.kind)).toEqual([
      'raised',
      'notified',
      'notified',
      'auto_resolved',
      'notified',
    ]);
    expect(sentFor(alert!.id).at(-1)!.event).toBe('alert.resolved');
  });

  it('a falling success rate raises a critical alert on the account, told as urgent', async () => {
    await settings({
      successRate: { windowMinutes: 15, minDecided: 3, warningBelowPct: 80, criticalBelowPct: 50 },
    });
    for (let i = 0; i < 3; i++) {
      const o = await newOrder(150 + i);
      await services().orders.close(await services().orders.requireByOrderNo(o.orderNo), 'merchant');
    }
    expect((await detect('channel.success_rate_low')).raised).toBe(1);
    const [alert] = await alertsOf('channel.success_rate_low');
    expect(alert).toMatchObject({
      subjectId: String(accountA),
      severity: 'critical',
      detail: { ratePct: 0, paid: 0, windowMinutes: 15, thresholdPct: 80 },
    });
    const closed = alert!.detail.decided as number;
    expect(closed).toBeGreaterThanOrEqual(3);
    expect(sentFor(alert!.id)[0]).toMatchObject({ urgent: true, vars: { severity: 'Critical' } });
    const pay = async (n: number) => {
      for (let i = 0; i < n; i++)
        await paidSandboxOrder(t.client, { mchOrderNo: uniqueName('ALP'), amount: 200, subject: 'a' });
    };
    // Half paid: above the critical threshold, below the warning one; the severity follows.
    await pay(closed);
    await detect('channel.success_rate_low');
    expect((await alertsOf('channel.success_rate_low'))[0]).toMatchObject({
      severity: 'warning',
      count: 2,
      detail: { ratePct: 50 },
    });
    // Four in five paid: no longer low, resolved by itself.
    await pay(3 * closed);
    expect((await detect('channel.success_rate_low')).resolved).toBe(1);
  });

  it('failing merchant notifies raise an alert on the merchant until they stop failing', async () => {
    await settings({ notifyFailing: { windowMinutes: 30, atLeast: 2 } });
    for (let i = 0; i < 2; i++) {
      // Nothing listens there: every attempt fails.
      const created = await newOrder(300 + i, 'http://127.0.0.1:9/notify');
      await payOnSandbox(created.payData!.value);
    }
    await eventually(
      async () => ((await detect('merchant.notify_failing')).raised === 1 ? true : undefined),
      15_000,
    );
    const [alert] = await alertsOf('merchant.notify_failing');
    expect(alert).toMatchObject({ subjectType: 'merchant', severity: 'warning' });
    expect(alert!.subjectLabel).toContain(t.demo.merchant.mchNo);
    expect(alert!.detail.failing).toBeGreaterThanOrEqual(2);
    // Once the retries have given up and the window has passed, it resolves itself.
    await eventually(async () => {
      const rows = await services().db.query<{ n: bigint }>(
        `SELECT count(*)::bigint AS n FROM notify_task WHERE url LIKE 'http://127.0.0.1:9/%' AND state = 'pending'`,
      );
      return rows[0]!.n === 0n ? true : undefined;
    }, 20_000);
    expect((await detect('merchant.notify_failing', new Date(Date.now() + 31 * MINUTE))).resolved).toBe(1);
  });

  it('a payment after close raises a critical alert on the order; acknowledging it on the order list acknowledges both', async () => {
    const created = await newOrder(700);
    await services().orders.close(await services().orders.requireByOrderNo(created.orderNo), 'merchant');
    expect(await postChannelNotify(await sandboxPaidNotify(t, created.orderNo, uniqueName('n')))).toBe(
      '200 SUCCESS',
    );
    expect((await services().orders.requireByOrderNo(created.orderNo)).state).toBe('paid');

    expect((await detect('order.paid_after_close')).raised).toBe(1);
    const [alert] = await alertsOf('order.paid_after_close');
    expect(alert).toMatchObject({
      subjectType: 'order',
      subjectLabel: created.orderNo,
      severity: 'critical',
    });
    expect(sentFor(alert!.id)[0]).toMatchObject({ urgent: true });

    const unacknowledged = () =>
      op.ok<{ items: { orderNo: string; unacknowledgedAlerts: string[] }[] }>(
        'GET',
        `/api/admin/orders?alert=unacknowledged&q=${created.orderNo}`,
      );
    expect((await unacknowledged()).items).toMatchObject([
      { orderNo: created.orderNo, unacknowledgedAlerts: ['late_payment'] },
    ]);
    const ack = await op.call('POST', `/api/admin/orders/${created.orderNo}/alerts/acknowledge`, {
      note: 'payer refunded by phone',
    });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ acknowledged: ['late_payment'], alerts: [alert!.id] });
    expect((await unacknowledged()).items).toEqual([]);
    expect(
      (
        await op.ok<{ items: { orderNo: string }[] }>(
          'GET',
          `/api/admin/orders?alert=true&q=${created.orderNo}`,
        )
      ).items,
    ).toHaveLength(1);
    const shown = await op.ok<AlertView>('GET', `/api/admin/alerts/${alert!.id}`);
    expect(shown).toMatchObject({ state: 'acknowledged', acknowledgeNote: 'payer refunded by phone' });
    // An event alert stays until a person resolves it; nothing more is raised for the order.
    expect(await detect('order.paid_after_close')).toMatchObject({ raised: 0, resolved: 0 });
    const again = await op.call('POST', `/api/admin/orders/${created.orderNo}/alerts/acknowledge`, {
      note: 'x',
    });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'ALERT_STATE_INVALID' });

    const resolved = await op.ok<AlertView>('POST', `/api/admin/alerts/${alert!.id}/resolve`, {
      note: 'refund confirmed by the channel',
    });
    expect(resolved).toMatchObject({
      state: 'resolved',
      autoResolved: false,
      resolveNote: 'refund confirmed by the channel',
    });
    const history = await op.ok<AlertView>('GET', `/api/admin/alerts/${alert!.id}`);
    expect(history.events!.map((e) => [e.kind, e.note])).toEqual([
      ['raised', null],
      ['notified', null],
      ['acknowledged', 'payer refunded by phone'],
      ['resolved', 'refund confirmed by the channel'],
    ]);
    expect(history.events!.find((e) => e.kind === 'resolved')!.by).toMatch(/^super_admin/);
    const audit = await op.ok<{ items: { action: string; status: number }[] }>(
      'GET',
      `/api/admin/audit?targetType=alert&targetId=${alert!.id}`,
    );
    expect(audit.items.map((a) => a.action)).toContain('POST /api/admin/alerts/:id/resolve');
    const twice = await op.call('POST', `/api/admin/alerts/${alert!.id}/acknowledge`, { note: 'late' });
    expect(twice.status).toBe(409);
  });

  it('a refund notify contradicting the outcome raises an alert; acknowledging it in the alerts acknowledges the order', async () => {
    const order = await paidSandboxOrder(t.client, {
      mchOrderNo: uniqueName('ALR'),
      amount: 900,
      subject: 'r',
    });
    const refund = await t.client.createRefund({
      orderNo: order.orderNo,
      mchRefundNo: uniqueName('R'),
      amount: 400,
    });
    const row = await eventually(async () => {
      const r = await services().refunds.requireByRefundNo(refund.refundNo);
      return r.state === 'succeeded' ? r : undefined;
    });
    const account = (await services().catalog.channelAccount(row.channel_account_id))!;
    const body = signedRefundNotifyForm(
      {
        mchId: String(account.credentials.mchId),
        outTradeNo: row.order_no,
        outRefundNo: row.refund_no,
        refundNo: 'SR-CONFLICT',
        amount: row.amount,
        currency: row.currency,
        status: 'FAILED',
        refundedAt: new Date(),
        failReason: null,
      },
      String(account.credentials.key),
      uniqueName('n'),
    );
    expect(
      await postChannelNotify({
        url: `${t.platform.url}/api/channel-notify/${row.channel_account_id}/refund`,
        body,
      }),
    ).toBe('200 SUCCESS');

    expect((await detect('refund.outcome_conflict')).raised).toBe(1);
    const [alert] = await alertsOf('refund.outcome_conflict');
    expect(alert).toMatchObject({
      subjectLabel: order.orderNo,
      severity: 'critical',
      detail: { refundNo: refund.refundNo, recorded: 'succeeded', channelSays: 'failed' },
    });
    expect(sentFor(alert!.id)[0]!.vars.summary).toBe(
      `Refund ${refund.refundNo} is recorded as succeeded, the channel says failed`,
    );
    await op.ok('POST', `/api/admin/alerts/${alert!.id}/acknowledge`, { note: 'asking the channel' });
    const list = await op.ok<{ items: { unacknowledgedAlerts: string[] }[] }>(
      'GET',
      `/api/admin/orders?alert=true&q=${order.orderNo}`,
    );
    expect(list.items[0]!.unacknowledgedAlerts).toEqual([]);
    expect((await alertsOf('refund.outcome_conflict', '&state=acknowledged'))[0]!.id).toBe(alert!.id);
  });

  it('reconciliation differences still open the next morning raise an alert that resolving them clears', async () => {
    const today = localDate(new Date(), TZ);
    const yesterday = addDays(today, -1);
    const order = await paidSandboxOrder(t.client, {
      mchOrderNo: uniqueName('ALC'),
      amount: 1_234,
      subject: 'c',
    });
    // Our books say it was paid yesterday at noon; the channel's statement of yesterday lacks it.
    await services().db.query('UPDATE pay_order SET paid_at = $2 WHERE order_no = $1', [
      order.orderNo,
      new Date(startOfLocalDay(yesterday, TZ).getTime() + 12 * 60 * MINUTE),
    ]);
    const batch = await services().reconciliation.run(accountA, yesterday, { userId: null });
    const { rows: items } = await services().reconciliation.items({
      batchId: batch.id,
      resolution: 'open',
      limit: 100,
      offset: 0,
    });
    expect(items.map((i) => `${i.class} ${i.order_no}`)).toContain(`platform_only ${order.orderNo}`);

    const tomorrow = addDays(today, 1);
    const at = (ymd: string, hour: number) =>
      new Date(startOfLocalDay(ymd, TZ).getTime() + hour * 60 * MINUTE);
    // Found today: not yet an alert today, nor tomorrow before the morning time.
    expect((await detect('reconciliation.unresolved', at(today, 23))).raised).toBe(0);
    expect((await detect('reconciliation.unresolved', at(tomorrow, 8))).raised).toBe(0);
    expect((await detect('reconciliation.unresolved', at(tomorrow, 9.5))).raised).toBe(1);
    const [alert] = await alertsOf('reconciliation.unresolved');
    expect(alert).toMatchObject({
      subjectType: 'recon_batch',
      subjectId: batch.id.toString(),
      severity: 'warning',
      detail: { open: items.length, day: yesterday },
    });
    const userId = (await services().consoleUsers.listUsers({ area: 'operator', limit: 1, offset: 0 }))
      .rows[0]!.id;
    for (const item of items) await services().reconciliation.resolve(item.id, 'booked by hand', userId);
    expect((await detect('reconciliation.unresolved', at(tomorrow, 10))).resolved).toBe(1);
    expect((await alertsOf('reconciliation.unresolved'))[0]).toMatchObject({
      state: 'resolved',
      autoResolved: true,
    });
  });

  it('lists by filters, counts the badge, and refuses bad notes and states', async () => {
    const summary = await op.ok<{ open: number; acknowledged: number; openCritical: number }>(
      'GET',
      '/api/admin/alerts/summary',
    );
    const all = (
      await op.ok<{ items: AlertView[]; total: number }>('GET', '/api/admin/alerts?state=unresolved')
    ).items;
    expect(summary.open + summary.acknowledged).toBe(all.length);
    expect(summary.acknowledged).toBe(all.filter((a) => a.state === 'acknowledged').length);
    const critical = await op.ok<{ items: AlertView[] }>('GET', '/api/admin/alerts?severity=critical');
    expect(critical.items.length).toBeGreaterThan(0);
    expect(critical.items.every((a) => a.severity === 'critical')).toBe(true);
    const bySubject = await op.ok<{ items: AlertView[] }>(
      'GET',
      `/api/admin/alerts?subject=${t.demo.merchant.mchNo}`,
    );
    expect(bySubject.items.map((a) => a.kind)).toEqual(['merchant.notify_failing']);
    const future = await op.ok<{ items: AlertView[] }>(
      'GET',
      `/api/admin/alerts?from=${addDays(localDate(new Date(), TZ), 3)}`,
    );
    expect(future.items).toEqual([]);
    const open = all.find((a) => a.state === 'open');
    if (open) {
      const blank = await op.call('POST', `/api/admin/alerts/${open.id}/acknowledge`, { note: '  ' });
      expect(blank.status).toBe(400);
    }
    expect((await op.call('POST', '/api/admin/alerts/999999/resolve', { note: 'x' })).status).toBe(404);
  });

  it('routing rules pick recipients by kind and minimum severity; the rules are edited and audited', async () => {
    const routes = [
      {
        kinds: [],
        min_severity: 'critical',
        channel: 'sms',
        address: '+8613800000000',
        locale: 'zh',
        enabled: true,
      },
      {
        kinds: ['channel.success_rate_low'],
        min_severity: 'info',
        channel: 'telegram',
        address: '-1001',
        locale: 'zh',
        enabled: true,
      },
      {
        kinds: ['merchant.notify_failing'],
        min_severity: 'info',
        channel: 'email',
        address: 'm@example.com',
        locale: 'en',
        enabled: true,
      },
      {
        kinds: [],
        min_severity: 'info',
        channel: 'email',
        address: 'off@example.com',
        locale: 'en',
        enabled: false,
      },
    ] as const;
    const to = (kind: AlertKind, severity: AlertRow['severity']) =>
      recipientsFor(
        { kind, severity },
        routes.map((r) => ({ ...r, kinds: [...r.kinds] })),
      ).map((r) => r.address);
    expect(to('channel.success_rate_low', 'warning')).toEqual(['-1001']);
    expect(to('channel.success_rate_low', 'critical')).toEqual(['+8613800000000', '-1001']);
    expect(to('merchant.notify_failing', 'info')).toEqual(['m@example.com']);
    expect(to('reconciliation.unresolved', 'warning')).toEqual([]);

    const bad = await op.call('POST', '/api/admin/alert-routes', {
      name: 'x',
      kinds: [],
      minSeverity: 'info',
      channel: 'sms',
      address: 'not a phone',
      locale: 'zh',
      enabled: true,
    });
    expect(bad.status).toBe(400);
    const created = await op.ok<{ id: string }>('POST', '/api/admin/alert-routes', {
      name: 'finance',
      kinds: ['reconciliation.unresolved'],
      minSeverity: 'warning',
      channel: 'telegram',
      address: '-100200',
      locale: 'zh',
      enabled: true,
    });
    await op.ok('PUT', `/api/admin/alert-routes/${created.id}`, {
      name: 'finance',
      kinds: ['reconciliation.unresolved'],
      minSeverity: 'critical',
      channel: 'telegram',
      address: '-100200',
      locale: 'zh',
      enabled: true,
    });
    const listed = await op.ok<{ items: { id: string; minSeverity: string }[] }>(
      'GET',
      '/api/admin/alert-routes',
    );
    expect(listed.items.find((r) => r.id === created.id)).toMatchObject({ minSeverity: 'critical' });
    await op.ok('DELETE', `/api/admin/alert-routes/${created.id}`);
    const audit = await op.ok<{ items: { action: string }[] }>(
      'GET',
      `/api/admin/audit?targetType=alert_route&targetId=${created.id}`,
    );
    expect(audit.items.map((a) => a.action).sort()).toEqual([
      'DELETE /api/admin/alert-routes/:id',
      'POST /api/admin/alert-routes',
      'PUT /api/admin/alert-routes/:id',
    ]);
    // A role without the permission is refused.
    const support = await operatorConsole(t, 'read_only');
    expect((await support.call('POST', '/api/admin/alert-routes', { name: 'x' })).status).toBe(403);
    expect((await support.call('GET', '/api/admin/alerts')).status).toBe(200);
  });
});
