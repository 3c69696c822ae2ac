import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QingyunClient } from '../sdk/index.ts';
import { ConsoleClient, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { payOnSandbox, startTestPlatform, type TestPlatform, untilPaid } from './support/platform.ts';

/**
 * Agents (AG-1, AG-2) over HTTP: a chain of agents opened by the operator and by agents, rates
 * along it with every break of the rate rule refused at each level and nothing changed, the depth
 * limit, moves that would make a cycle, and agent B walking every agent-area route against agent
 * A's subtree.
 */

interface Refusal {
  code: string;
  details?: Record<string, unknown>;
}
interface AgentView {
  agentNo: string;
  parentNo: string | null;
  depth: number;
}
interface AgentOrder {
  orderNo: string;
  mchNo: string;
  merchantName: string;
  productCode: string;
  amount: number;
  state: string;
  paidAt: string | null;
  commission: number | null;
}
interface Rate {
  productCode: string;
  ratePpm: number;
  fixedFee: number;
  minimumFee: number;
}

const password = () => `pw7-${randomBytes(9).toString('base64url')}`;

for (const database of testDatabases) {
  describe(`agents on ${database.kind}`, () => {
    let t: TestPlatform;
    let admin: ConsoleClient;
    const product = uniqueName('ag_p');
    let accountId: bigint;
    // The chain: A (top) → A1 → A2; B, another top-level agent. M is a merchant of A1.
    let a: AgentView;
    let a1: AgentView;
    let b: AgentView;
    let mchNo: string;
    let agentA: ConsoleClient;
    let agentA1: ConsoleClient;
    let agentB: ConsoleClient;

    /** Logs an agent's first login in (it changes the password chosen for it). */
    async function agentLogin(username: string, first: string): Promise<ConsoleClient> {
      const client = new ConsoleClient(t.platform.url);
      const stage = await client.login('agent', username, first, { newPassword: password() });
      expect(stage).toBe('active');
      return client;
    }

    async function openTopAgent(name: string): Promise<{ agent: AgentView; client: ConsoleClient }> {
      const manager = { username: uniqueName('agent'), password: password() };
      const agent = await admin.ok<AgentView>('POST', '/api/admin/agents', { name, manager });
      return { agent, client: await agentLogin(manager.username, manager.password) };
    }

    const refusal = (answer: { status: number; body: unknown }) => ({
      status: answer.status,
      ...(answer.body as Refusal),
    });
    const ratesOf = async (agentNo: string) =>
      (await admin.ok<{ rates: Rate[] }>('GET', `/api/admin/agents/${agentNo}`)).rates.find(
        (r) => r.productCode === product,
      );

    beforeAll(async () => {
      t = await startTestPlatform(database);
      admin = await operatorConsole(t);
      const s = t.platform.services;
      await s.catalog.createProduct({
        code: product,
        name: 'agents product',
        currency: 'CNY',
        minAmount: 1n,
        maxAmount: 1_000_000n,
        defaultRatePpm: 6000,
      });
      accountId = t.channelAccountIds[0]!;
      // The channel's cost: 0.2 %.
      await s.catalog.setChannelAccountRate(accountId, { productCode: product, costRatePpm: 2000 });
      await s.catalog.upsertBinding(product, accountId, {
        weight: 1,
        priority: 0,
        minAmount: null,
        maxAmount: null,
        dailyLimit: null,
        windowStart: null,
        windowEnd: null,
        enabled: true,
      });
      ({ agent: a, client: agentA } = await openTopAgent('Agent A'));
      ({ agent: b, client: agentB } = await openTopAgent('Agent B'));
    }, 120_000);

    afterAll(async () => {
      await t?.stop();
    });

    it('builds a two-level chain with rates along it, each checked against the level above', async () => {
      expect(a).toMatchObject({ parentNo: null, depth: 1 });
      expect(a.agentNo).toMatch(/^A\d{9}$/);
      // A top-level agent may not go below the bound channel cost.
      const below = await admin.send('PUT', `/api/admin/agents/${a.agentNo}/rates/${product}`, {
        ratePpm: 1500,
      });
      expect(refusal(below)).toMatchObject({
        status: 400,
        code: 'RATE_RULE_VIOLATION',
        details: { reason: 'agent_chain', level: 'agent', component: 'ratePpm', lower: 2000, upper: 1500 },
      });
      expect(await ratesOf(a.agentNo)).toBeUndefined();
      await admin.ok('PUT', `/api/admin/agents/${a.agentNo}/rates/${product}`, { ratePpm: 3000 });

      // Agent A opens a sub-agent under itself, with its first login.
      const manager = { username: uniqueName('agent'), password: password() };
      a1 = await agentA.ok<AgentView>('POST', '/api/agent/agents', { name: 'Agent A1', manager });
      expect(a1).toMatchObject({ parentNo: a.agentNo, depth: 2 });
      agentA1 = await agentLogin(manager.username, manager.password);
      const me = await agentA1.ok<AgentView & { maxDepth: number }>('GET', '/api/agent/me');
      expect(me).toMatchObject({ agentNo: a1.agentNo, parentNo: a.agentNo, maxDepth: 3 });

      // A sets A1's rate: not below its own.
      const low = await agentA.send('PUT', `/api/agent/agents/${a1.agentNo}/rates/${product}`, {
        ratePpm: 2500,
      });
      expect(refusal(low)).toMatchObject({
        status: 400,
        details: { reason: 'agent_chain', level: 'agent', agentNo: a1.agentNo, lower: 3000, upper: 2500 },
      });
      await agentA.ok('PUT', `/api/agent/agents/${a1.agentNo}/rates/${product}`, { ratePpm: 4000 });
      // An agent's own rate is set from above.
      expect(
        (await agentA1.send('PUT', `/api/agent/agents/${a1.agentNo}/rates/${product}`, { ratePpm: 9000 }))
          .status,
      ).toBe(403);

      // A1 opens a merchant (pending review) and gives it a rate, not below its own.
      const merchant = await agentA1.ok<{ mchNo: string; state: string; agentNo: string }>(
        'POST',
        '/api/agent/merchants',
        { name: 'Merchant of A1' },
      );
      expect(merchant).toMatchObject({ state: 'pending', agentNo: a1.agentNo });
      mchNo = merchant.mchNo;
      const cheap = await agentA1.send('PUT', `/api/agent/merchants/${mchNo}/products/${product}`, {
        ratePpm: 3500,
      });
      expect(refusal(cheap)).toMatchObject({
        status: 400,
        details: { reason: 'agent_chain', level: 'merchant', agentNo: a1.agentNo, lower: 4000, upper: 3500 },
      });
      await agentA1.ok('PUT', `/api/agent/merchants/${mchNo}/products/${product}`, { ratePpm: 5000 });
      const list = await agentA.ok<{ items: { mchNo: string; agentNo: string }[] }>(
        'GET',
        '/api/agent/merchants',
      );
      expect(list.items).toEqual([expect.objectContaining({ mchNo, agentNo: a1.agentNo })]);
      // The operator sees the same subtree's merchants from any agent in the chain, none from B's.
      for (const agentNo of [a.agentNo, a1.agentNo]) {
        const ofAgent = await admin.ok<{ total: number; items: { mchNo: string; agentNo: string }[] }>(
          'GET',
          `/api/admin/agents/${agentNo}/merchants`,
        );
        expect(ofAgent).toEqual({
          total: 1,
          items: [expect.objectContaining({ mchNo, agentNo: a1.agentNo })],
        });
      }
      expect(await admin.ok('GET', `/api/admin/agents/${b.agentNo}/merchants`)).toEqual({
        total: 0,
        items: [],
      });
      expect((await admin.get('/api/admin/agents/A000000000/merchants')).status).toBe(404);
    });

    it('refuses every break of the rate rule at each level and changes nothing', async () => {
      const merchantRate = async () =>
        (await agentA1.ok<{ items: Rate[] }>('GET', `/api/agent/merchants/${mchNo}/rates`)).items[0];
      // The operator's merchant rate goes through the catalog, which asks the agents.
      const operatorCheap = await admin.send('PUT', `/api/admin/merchants/${mchNo}/products/${product}`, {
        ratePpm: 3900,
      });
      expect(refusal(operatorCheap)).toMatchObject({
        code: 'RATE_RULE_VIOLATION',
        details: { reason: 'agent_chain', level: 'merchant', productCode: product, component: 'ratePpm' },
      });
      expect(await merchantRate()).toMatchObject({ ratePpm: 5000 });

      // A above its sub-agent A1 (4000).
      const aHigh = await admin.send('PUT', `/api/admin/agents/${a.agentNo}/rates/${product}`, {
        ratePpm: 4500,
      });
      expect(refusal(aHigh)).toMatchObject({
        details: { reason: 'agent_chain', level: 'agent', upper: 4000 },
      });
      // A's fixed fee above A1's (none): the fixed part breaks the rule on its own.
      const aFixed = await admin.send('PUT', `/api/admin/agents/${a.agentNo}/rates/${product}`, {
        ratePpm: 3000,
        fixedFee: 10,
      });
      expect(refusal(aFixed)).toMatchObject({ details: { reason: 'agent_chain', component: 'fixed' } });
      expect(await ratesOf(a.agentNo)).toMatchObject({ ratePpm: 3000, fixedFee: 0 });

      // A1 above its merchant (5000).
      const a1High = await agentA.send('PUT', `/api/agent/agents/${a1.agentNo}/rates/${product}`, {
        ratePpm: 5500,
      });
      expect(refusal(a1High)).toMatchObject({
        details: { reason: 'agent_chain', level: 'agent', upper: 5000 },
      });
      // A merchant's minimum below its agent's is refused too, part by part.
      await agentA.ok('PUT', `/api/agent/agents/${a1.agentNo}/rates/${product}`, {
        ratePpm: 4000,
        minimumFee: 0,
      });
      expect(await ratesOf(a1.agentNo)).toMatchObject({ ratePpm: 4000 });

      // A channel cost above the top agent's rate (3000), set or bound.
      const cost = await admin.send('PUT', `/api/admin/channel-accounts/${accountId}/rates/${product}`, {
        costRatePpm: 3500,
      });
      expect(refusal(cost)).toMatchObject({
        code: 'RATE_RULE_VIOLATION',
        details: {
          reason: 'agent_chain',
          level: 'channel',
          channelAccountId: String(accountId),
          lower: 3500,
          upper: 3000,
        },
      });
      const costs = await t.platform.services.catalog.highestBoundCost(
        (await t.platform.services.catalog.requireProduct(product)).id,
      );
      expect(costs).toMatchObject({ ratePpm: 2000 });
      expect(await merchantRate()).toMatchObject({ ratePpm: 5000 });

      // Binding an account whose cost (set before the agent's rate, unbound then) is above the top agent's.
      const s = t.platform.services;
      const other = uniqueName('ag_q');
      const accountId2 = t.channelAccountIds[1]!;
      await s.catalog.createProduct({
        code: other,
        name: 'agents product 2',
        currency: 'CNY',
        minAmount: 1n,
        maxAmount: 1_000_000n,
        defaultRatePpm: 6000,
      });
      await s.catalog.setChannelAccountRate(accountId2, { productCode: other, costRatePpm: 3500 });
      await admin.ok('PUT', `/api/admin/agents/${a.agentNo}/rates/${other}`, { ratePpm: 3000 });
      const bind = await admin.send('PUT', `/api/admin/products/${other}/bindings/${accountId2}`, {
        allowTestAccount: true,
      });
      expect(refusal(bind)).toMatchObject({
        code: 'RATE_RULE_VIOLATION',
        details: {
          reason: 'agent_chain',
          level: 'channel',
          channelAccountId: String(accountId2),
          upper: 3000,
        },
      });
      expect(await s.catalog.listBindings(other)).toEqual([]);

      // Only a rate the parent sells: B has no rate for the product, so B's sub-agents cannot have one.
      const anyAgent = await admin.ok<AgentView>('POST', '/api/admin/agents', {
        name: 'B1',
        parentNo: b.agentNo,
      });
      const orphan = await admin.send('PUT', `/api/admin/agents/${anyAgent.agentNo}/rates/${product}`, {
        ratePpm: 5000,
      });
      expect(refusal(orphan)).toMatchObject({ status: 403, code: 'PRODUCT_NOT_AVAILABLE' });
    });

    it('keeps agent B out of agent A’s subtree on every agent route (404, never data)', async () => {
      const a1Path = `/api/agent/agents/${a1.agentNo}`;
      for (const [method, path, body] of [
        ['GET', a1Path],
        ['GET', `${a1Path}/rates`],
        ['PUT', `${a1Path}/rates/${product}`, { ratePpm: 4000 }],
        ['GET', `/api/agent/agents/${a.agentNo}`],
        ['PUT', `/api/agent/agents/${a.agentNo}/rates/${product}`, { ratePpm: 3000 }],
        ['POST', '/api/agent/agents', { name: 'intruder', parentNo: a1.agentNo }],
        ['GET', `/api/agent/merchants/${mchNo}`],
        ['GET', `/api/agent/merchants/${mchNo}/rates`],
        ['PUT', `/api/agent/merchants/${mchNo}/products/${product}`, { ratePpm: 9000 }],
      ] as const) {
        const answer = await agentB.send(method, path, body);
        expect({ method, path, status: answer.status, code: (answer.body as Refusal).code }).toEqual({
          method,
          path,
          status: 404,
          code: 'NOT_FOUND',
        });
        expect(answer.text).not.toContain('Agent A');
      }
      // B's own subtree: its sub-agent B1 only (B itself is not listed).
      const agents = await agentB.ok<{ items: AgentView[]; total: number }>('GET', '/api/agent/agents');
      expect(agents.total).toBe(1);
      expect(agents.items.map((x) => x.parentNo)).toEqual([b.agentNo]);
      const merchants = await agentB.ok<{ items: unknown[]; total: number }>('GET', '/api/agent/merchants');
      expect(merchants).toEqual({ total: 0, items: [] });
      // A sub-agent does not see up its chain either.
      expect((await agentA1.get(`/api/agent/agents/${a.agentNo}`)).status).toBe(404);
      // Nothing changed in A's subtree.
      expect(await ratesOf(a1.agentNo)).toMatchObject({ ratePpm: 4000 });
      // Another area's session is not an agent's.
      expect((await admin.get('/api/agent/me')).status).toBe(403);
    });

    it('lists the subtree’s orders to its agents, each with the agent’s own commission, and none to agent B', async () => {
      // A merchant of A1 (rate 0.5 %), live with an app: A's share is 0.4 % − 0.3 %, A1's 0.5 % − 0.4 %.
      const s = t.platform.services;
      const merchant = await s.merchants.createMerchant({ name: 'Paying merchant of A1' });
      await s.catalog.setMerchantRate(merchant.id, product, 5000);
      await admin.ok('POST', `/api/admin/merchants/${merchant.mch_no}/move`, { agentNo: a1.agentNo });
      const { app, secret } = await s.merchants.createApp(merchant.mch_no, { name: 'orders app' });
      const client = new QingyunClient({
        baseUrl: t.platform.url,
        mchNo: merchant.mch_no,
        appId: app.appId,
        key: { type: 'HMAC-SHA256', secret },
      });
      const order = (mchOrderNo: string) =>
        client.createOrder({ mchOrderNo, productCode: product, amount: 20_000, subject: 'agent orders' });
      const paid = await order(`AO-${Date.now().toString(36)}-1`);
      expect(await payOnSandbox(paid.payData!.value)).toBe(200);
      await untilPaid(client, paid.orderNo);
      const unpaid = await order(`AO-${Date.now().toString(36)}-2`);

      const ofA = await agentA.ok<{ total: number; items: AgentOrder[] }>('GET', '/api/agent/orders');
      expect(ofA.total).toBe(2);
      expect(ofA.items.map((o) => o.orderNo)).toEqual([unpaid.orderNo, paid.orderNo]);
      expect(ofA.items[1]).toMatchObject({
        mchNo: merchant.mch_no,
        merchantName: 'Paying merchant of A1',
        productCode: product,
        amount: 20_000,
        state: 'paid',
        commission: 20,
      });
      expect(ofA.items[1]!.paidAt).not.toBeNull();
      expect(ofA.items[0]).toMatchObject({ state: expect.not.stringMatching(/^paid$/), commission: null });
      // A1 sees the same orders with its own share; filters narrow them.
      const ofA1 = await agentA1.ok<{ items: AgentOrder[] }>(
        'GET',
        `/api/agent/orders?mchNo=${merchant.mch_no}&state=paid`,
      );
      expect(ofA1.items.map((o) => [o.orderNo, o.commission])).toEqual([[paid.orderNo, 20]]);
      expect(
        await agentA.ok('GET', `/api/agent/orders?mchNo=${merchant.mch_no}&from=2000-01-01&to=2000-01-02`),
      ).toEqual({ total: 0, items: [] });

      // B: nothing of A's subtree, and a merchant of it is one that does not exist.
      const ofB = await agentB.send('GET', '/api/agent/orders');
      expect(ofB.body).toEqual({ total: 0, items: [] });
      expect(ofB.text).not.toContain(paid.orderNo);
      const outside = await agentB.send('GET', `/api/agent/orders?mchNo=${merchant.mch_no}`);
      expect({ status: outside.status, code: (outside.body as Refusal).code }).toEqual({
        status: 404,
        code: 'NOT_FOUND',
      });
      expect(outside.text).not.toContain(paid.orderNo);
      // Back where it was, so the moves below find the chain as they expect.
      await admin.ok('POST', `/api/admin/merchants/${merchant.mch_no}/move`, { agentNo: null });
    });

    it('stops at agents.maxDepth and refuses moves that make a cycle or go too deep', async () => {
      const a2 = await agentA1.ok<AgentView>('POST', '/api/agent/agents', { name: 'Agent A2' });
      expect(a2).toMatchObject({ parentNo: a1.agentNo, depth: 3 });
      const deeper = await admin.send('POST', '/api/admin/agents', {
        name: 'too deep',
        parentNo: a2.agentNo,
      });
      expect(refusal(deeper)).toMatchObject({
        status: 400,
        code: 'INVALID_REQUEST',
        details: { reason: 'agent_depth', maxDepth: 3 },
      });

      for (const parentNo of [a.agentNo, a1.agentNo, a2.agentNo]) {
        const cycle = await admin.send('POST', `/api/admin/agents/${a.agentNo}/move`, { parentNo });
        expect(refusal(cycle)).toMatchObject({ status: 400, details: { reason: 'agent_cycle' } });
      }
      // B and its sub-agent B1 under A1 would put B1 at depth 4.
      const tooDeep = await admin.send('POST', `/api/admin/agents/${b.agentNo}/move`, {
        parentNo: a1.agentNo,
      });
      expect(refusal(tooDeep)).toMatchObject({ details: { reason: 'agent_depth' } });
      // A1 under B: B sells nothing of A1's product yet; then at a rate above A1's (4000), the rule.
      const unsold = await admin.send('POST', `/api/admin/agents/${a1.agentNo}/move`, {
        parentNo: b.agentNo,
      });
      expect(refusal(unsold)).toMatchObject({ code: 'PRODUCT_NOT_AVAILABLE' });
      await admin.ok('PUT', `/api/admin/agents/${b.agentNo}/rates/${product}`, { ratePpm: 4500 });
      const above = await admin.send('POST', `/api/admin/agents/${a1.agentNo}/move`, { parentNo: b.agentNo });
      expect(refusal(above)).toMatchObject({
        details: { reason: 'agent_chain', level: 'agent', upper: 4000 },
      });
      expect((await admin.ok<AgentView>('GET', `/api/admin/agents/${a1.agentNo}`)).parentNo).toBe(a.agentNo);

      // Moved to B at a fitting rate, with its subtree: A2 follows and A loses sight of both.
      await admin.ok('PUT', `/api/admin/agents/${b.agentNo}/rates/${product}`, { ratePpm: 3500 });
      const moved = await admin.ok<AgentView>('POST', `/api/admin/agents/${a1.agentNo}/move`, {
        parentNo: b.agentNo,
      });
      expect(moved).toMatchObject({ parentNo: b.agentNo, depth: 2 });
      expect(await admin.ok<AgentView>('GET', `/api/admin/agents/${a2.agentNo}`)).toMatchObject({ depth: 3 });
      expect((await agentA.get(`/api/agent/agents/${a2.agentNo}`)).status).toBe(404);
      expect(
        (await agentB.ok<{ items: AgentView[] }>('GET', '/api/agent/agents')).items.map((x) => x.agentNo),
      ).toEqual(expect.arrayContaining([a1.agentNo, a2.agentNo]));
      // A top-level move: A1's rate (4000) is above the bound cost, so it may stand alone.
      expect(
        await admin.ok<AgentView>('POST', `/api/admin/agents/${a1.agentNo}/move`, { parentNo: null }),
      ).toMatchObject({ parentNo: null, depth: 1 });
    });

    it('moves a merchant to another direct agent only where its rates are at or above the agent’s', async () => {
      // M (5000) under B (3500): fine; B then may not rise above it.
      const moved = await admin.ok<{ agentNo: string }>('POST', `/api/admin/merchants/${mchNo}/move`, {
        agentNo: b.agentNo,
      });
      expect(moved.agentNo).toBe(b.agentNo);
      const bHigh = await admin.send('PUT', `/api/admin/agents/${b.agentNo}/rates/${product}`, {
        ratePpm: 5100,
      });
      expect(refusal(bHigh)).toMatchObject({ details: { reason: 'agent_chain', upper: 5000 } });
      expect((await agentB.ok<{ total: number }>('GET', '/api/agent/merchants')).total).toBe(1);
      expect((await agentA1.get(`/api/agent/merchants/${mchNo}`)).status).toBe(404);
      // A merchant under no agent is the platform's own again.
      await admin.ok('POST', `/api/admin/merchants/${mchNo}/move`, { agentNo: null });
      expect((await agentB.ok<{ total: number }>('GET', '/api/agent/merchants')).total).toBe(0);
      // Every move and rate change above is in the audit log under its action.
      const log = await admin.ok<{ items: { actionKey?: string; action?: string }[] }>(
        'GET',
        '/api/admin/audit?limit=200',
      );
      const keys = JSON.stringify(log);
      for (const key of ['agent.create', 'agent.move', 'agent_rate.update', 'merchant.move']) {
        expect(keys).toContain(key);
      }
    });
  });
}
