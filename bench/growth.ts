/**
 * The growth step of the bench (`--growth N`): fills pay_order to N existing orders in set-based
 * statements, then measures what a large order table must not slow down — the operator order
 * list's first page through the console API, and create_order and notify_to_paid against the
 * same run's figures on the nearly empty database.
 */
import { generate } from 'otplib';
import { DEMO_PRODUCT } from '../src/app/demo.ts';
import type { startPlatform } from '../src/app/platform.ts';

type BenchServices = Awaited<ReturnType<typeof startPlatform>>['services'];

/** What the growth step gets from bench/run.ts: its platform and its two hot-path measurements. */
export interface GrowthDeps {
  services: BenchServices;
  platformUrl: string;
  /** create_order as run.ts measures it (orders/s). */
  measureCreateOrder(): Promise<number>;
  /** notify_to_paid as run.ts measures it, over the paying orders there are (payments/s). */
  measureNotifyToPaid(): Promise<number>;
  log(message: string): void;
}

export interface GrowthResult {
  existingOrders: number;
  fillSeconds: number;
  orderListFirstPageMs: number;
  /** p50 of the first page with a filter (one merchant; one state) at that size. */
  orderListFilteredMs: { merchant: number; state: number };
  createOrderPerSec: number;
  notifyToPaidPerSec: number;
}

/** Statements of at most this many rows, so progress shows and no single transaction holds millions. */
const FILL_CHUNK = 500_000;
/** Merchants the filled orders spread over, a few large and many small. */
const GROWTH_MERCHANTS = 200;
const FIRST_PAGE_CALLS = 20;

/**
 * Orders over the last 180 days, placed in time order as a platform's are (so the indexes grow at
 * their right edge, as they do in production, and the fill is quick), none in the future, none still
 * open (the notify workload pays every paying order), most paid, a quarter closed unpaid, some failed or refunded; merchants drawn
 * with a skew (random()³), so a few carry most of the volume as on a real platform.
 */
async function fillOrders(services: BenchServices, target: number, log: (m: string) => void) {
  const db = services.db;
  const existing = Number(
    (await db.query<{ n: bigint }>('SELECT count(*)::bigint AS n FROM pay_order'))[0]!.n,
  );
  if (existing >= target) return existing;
  await db.query(
    `INSERT INTO merchant (mch_no, name, short_name)
     SELECT 'MG' || lpad(i::text, 4, '0'), 'Growth merchant ' || i, 'G' || i FROM generate_series(1, $1::int) AS i
     ON CONFLICT (mch_no) DO NOTHING`,
    [GROWTH_MERCHANTS],
  );
  const merchants = (
    await db.query<{ id: bigint }>(`SELECT id FROM merchant WHERE mch_no LIKE 'MG%' ORDER BY id`)
  ).map((m) => m.id.toString());
  const product = (await services.catalog.productByCode(DEMO_PRODUCT))!;
  const accounts = (await services.catalog.listChannelAccounts()).map((a) => a.id.toString());
  for (let from = existing + 1; from <= target; from += FILL_CHUNK) {
    const to = Math.min(target, from + FILL_CHUNK - 1);
    await db.query(
      `INSERT INTO pay_order (order_no, merchant_id, app_id, mch_order_no, request_hash, product_id, product_code,
         channel_account_id, adapter_code, amount, currency, subject, state, merchant_rate_ppm, channel_rate_ppm, fee,
         channel_cost, platform_profit, expires_at, created_at, paid_at, closed_at, channel_order_no, refunded_amount, test)
       SELECT 'G' || i, ($1::bigint[])[1 + floor(cardinality($1::bigint[]) * r.m ^ 3)::int], 'bench-growth',
              'growth-' || i, '', $2, $3, ($4::bigint[])[1 + i % cardinality($4::bigint[])], 'sandbox', a.amount,
              'CNY', 'growth', s.state, 6000, 3000, a.amount * 6 / 1000, a.amount * 3 / 1000,
              a.amount * 6 / 1000 - a.amount * 3 / 1000, c.at + interval '15 minutes', c.at,
              CASE WHEN s.state IN ('paid', 'refunded') THEN c.at + interval '20 seconds' END,
              CASE WHEN s.state = 'closed' THEN c.at + interval '15 minutes' END,
              CASE WHEN s.state IN ('paid', 'refunded') THEN 'GC' || i END,
              CASE WHEN s.state = 'refunded' THEN a.amount ELSE 0 END, false
       FROM generate_series($5::bigint, $7::bigint) AS i,
            LATERAL (SELECT random() + 0 * i AS m, random() + 0 * i AS s, random() + 0 * i AS t) r,
            LATERAL (SELECT 100 + (i * 7919) % 99900 AS amount) a,
            LATERAL (SELECT now() - interval '1 minute'
                            - (($6::bigint - i) + r.t) / $6::float8 * interval '180 days' AS at) c,
            LATERAL (SELECT CASE WHEN r.s < 0.65 THEN 'paid' WHEN r.s < 0.90 THEN 'closed'
                                 WHEN r.s < 0.97 THEN 'failed' ELSE 'refunded' END AS state) s`,
      [merchants, product.id, product.code, accounts, from, target, to],
    );
    log(`  growth: ${to.toLocaleString('en')} orders`);
  }
  // A running database's autovacuum would have vacuumed and analysed the table after such a load
  // (an insert-only load triggers a vacuum). Measured while that first vacuum still ran, create_order
  // at 5 M orders fell to ×0.56 of the empty database's: the vacuum's work, not the table's size.
  await db.query('VACUUM (ANALYZE) pay_order');
  await db.query('ANALYZE stats_order_hour, stats_channel_minute');
  return target;
}

/** An operator of the bench's platform, logged in through the console API (TOTP enrolled). */
async function operatorSession(services: BenchServices, origin: string) {
  const role = await services.roles.require({ code: 'super_admin' });
  const username = `bench_growth_${Date.now().toString(36)}`;
  const password = `bench-Growth-${Math.random().toString(36).slice(2)}-7`;
  await services.consoleUsers.createUser({ area: 'operator', username, password, roleId: BigInt(role.id) });
  let cookie = '';
  let csrf = '';
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${origin}${path}`, {
      method,
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(method === 'GET' ? {} : { 'content-type': 'application/json', 'x-csrf-token': csrf }),
      },
      body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
    });
    const set = response.headers.getSetCookie().find((c) => c.startsWith('qy_session='));
    if (set) cookie = set.split(';')[0]!;
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  };
  type Session = { stage: string; csrfToken: string };
  const login = await call<Session>('POST', '/api/auth/login', { area: 'operator', username, password });
  csrf = login.csrfToken;
  if (login.stage !== 'totp_enrol') throw new Error(`the bench operator's login stopped at ${login.stage}`);
  const { secret } = await call<{ secret: string }>('POST', '/api/auth/totp/enrol/start');
  const confirmed = await call<{ session: Session }>('POST', '/api/auth/totp/enrol/confirm', {
    code: await generate({ secret }),
  });
  csrf = confirmed.session.csrfToken;
  return { get: <T>(path: string) => call<T>('GET', path) };
}

/** p50 of `calls` sequential requests, after one not counted (plans, caches). */
async function p50Ms(calls: number, request: () => Promise<unknown>) {
  await request();
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await request();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]! * 100) / 100;
}

export async function runGrowth(deps: GrowthDeps, target: number): Promise<GrowthResult> {
  const started = performance.now();
  const existingOrders = await fillOrders(deps.services, target, deps.log);
  const fillSeconds = Math.round((performance.now() - started) / 100) / 10;
  deps.log(`  growth: ${existingOrders.toLocaleString('en')} orders in ${fillSeconds} s; the order list …`);
  const operator = await operatorSession(deps.services, deps.platformUrl);
  type Page = { items: unknown[]; total: number; totalCapped: boolean };
  const firstPage = (query: string) => () => operator.get<Page>(`/api/admin/orders?limit=20${query}`);
  const page = await firstPage('')();
  if (page.items.length !== 20 || !page.totalCapped)
    throw new Error('the order list did not see the filled orders');
  const orderListFirstPageMs = await p50Ms(FIRST_PAGE_CALLS, firstPage(''));
  const orderListFilteredMs = {
    merchant: await p50Ms(FIRST_PAGE_CALLS, firstPage('&mchNo=MG0001')),
    state: await p50Ms(FIRST_PAGE_CALLS, firstPage('&state=refunded')),
  };
  deps.log(
    `  growth: first page p50 ${orderListFirstPageMs} ms; create_order and notify_to_paid at this size …`,
  );
  const createOrderPerSec = await deps.measureCreateOrder();
  const notifyToPaidPerSec = await deps.measureNotifyToPaid();
  return {
    existingOrders,
    fillSeconds,
    orderListFirstPageMs,
    orderListFilteredMs,
    createOrderPerSec,
    notifyToPaidPerSec,
  };
}
