import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleClient, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * Merchant onboarding (进件, AG-5) over HTTP: an agent's application through changes asked for,
 * resubmission and approval into a merchant under the agent; the blacklist seen by the reviewer and
 * refusing approval; the rate rule refusing approval; another agent seeing nothing; documents
 * checked by their bytes and size; numbers masked in lists and never stored in the clear.
 */

interface Refusal {
  code: string;
  details?: Record<string, unknown>;
}
interface ApplicationView {
  applicationNo: string;
  state: string;
  mchNo: string | null;
  reviewNote: string;
  idNumberMasked: string;
  cardNoMasked: string;
  phoneMasked: string;
  licenceNoMasked: string | null;
  blacklistHit?: boolean;
}
interface Detail extends ApplicationView {
  documents: { kind: string; contentType: string; sizeBytes: number }[];
  events: { action: string; toState: string; note: string }[];
  hits: { field: string; kind: string; entryId: string }[];
  numbers: { idNumber: string; licenceNo: string | null; phone: string; cardNo: string } | null;
}

const password = () => `pw7-${randomBytes(9).toString('base64url')}`;
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(200)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(200)]);
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(200)]);
const b64 = (b: Buffer) => ({ content: b.toString('base64') });

const ID_NUMBER = '11010519491231002X';
const LICENCE = '91350100M000100Y43';
const PHONE = '13812345678';
const CARD = '6222021234567890123';

for (const database of testDatabases) {
  describe(`onboarding on ${database.kind}`, () => {
    let t: TestPlatform;
    let admin: ConsoleClient;
    let agentA: ConsoleClient;
    let agentB: ConsoleClient;
    let agentANo: string;
    const product = uniqueName('ob_p');
    const uploadDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qy-ob-')), 'documents');

    const refusal = (answer: { status: number; body: unknown }) => ({
      status: answer.status,
      ...(answer.body as Refusal),
    });

    async function openAgent(name: string): Promise<{ agentNo: string; client: ConsoleClient }> {
      const manager = { username: uniqueName('ob_agent'), password: password() };
      const agent = await admin.ok<{ agentNo: string }>('POST', '/api/admin/agents', { name, manager });
      const client = new ConsoleClient(t.platform.url);
      expect(
        await client.login('agent', manager.username, manager.password, { newPassword: password() }),
      ).toBe('active');
      return { agentNo: agent.agentNo, client };
    }

    const application = (over: Record<string, unknown> = {}) => ({
      merchantType: 'company',
      merchantName: uniqueName('Tea House'),
      legalName: 'Zhang San',
      idNumber: ID_NUMBER,
      licenceNo: LICENCE,
      contactName: 'Li Si',
      phone: PHONE,
      email: 'tea@example.com',
      businessCategory: 'catering',
      cardHolder: 'Tea House Ltd',
      bankName: 'ICBC',
      cardNo: CARD,
      rates: [{ productCode: product, ratePpm: 5000 }],
      ...over,
    });

    /** An agent's application with its documents, submitted. */
    async function submitted(client: ConsoleClient, over: Record<string, unknown> = {}) {
      const app = await client.ok<ApplicationView>(
        'POST',
        '/api/agent/onboarding/applications',
        application(over),
      );
      const base = `/api/agent/onboarding/applications/${app.applicationNo}`;
      await client.ok('PUT', `${base}/documents/licence`, b64(PNG));
      await client.ok('PUT', `${base}/documents/id_front`, b64(JPEG));
      await client.ok('PUT', `${base}/documents/id_back`, b64(PDF));
      return client.ok<ApplicationView>('POST', `${base}/submit`);
    }

    beforeAll(async () => {
      t = await startTestPlatform(database, { uploadDir });
      admin = await operatorConsole(t);
      const s = t.platform.services;
      await s.catalog.createProduct({
        code: product,
        name: 'onboarding product',
        currency: 'CNY',
        minAmount: 1n,
        maxAmount: 1_000_000n,
        defaultRatePpm: 6000,
      });
      const accountId = t.channelAccountIds[0]!;
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
      ({ agentNo: agentANo, client: agentA } = await openAgent('Onboarding Agent A'));
      ({ client: agentB } = await openAgent('Onboarding Agent B'));
      await admin.ok('PUT', `/api/admin/agents/${agentANo}/rates/${product}`, { ratePpm: 3000 });
    }, 120_000);

    afterAll(async () => {
      await t?.stop();
      fs.rmSync(path.dirname(uploadDir), { recursive: true, force: true });
    });

    it('takes an application through changes asked for and resubmission to a merchant under the agent', async () => {
      const draft = await agentA.ok<ApplicationView>(
        'POST',
        '/api/agent/onboarding/applications',
        application({ idNumber: '110105 19491231 002x', cardNo: '6222 0212 3456 7890 123' }),
      );
      expect(draft).toMatchObject({
        state: 'draft',
        idNumberMasked: '110***********002X',
        licenceNoMasked: '9135****0Y43',
        phoneMasked: '138****5678',
        cardNoMasked: '6222 **** **** 0123',
      });
      const base = `/api/agent/onboarding/applications/${draft.applicationNo}`;

      // Submitting needs the documents of a company: licence, both sides of the ID.
      const early = await agentA.send('POST', `${base}/submit`);
      expect(refusal(early)).toMatchObject({
        status: 400,
        code: 'DOCUMENTS_MISSING',
        details: { kinds: ['licence', 'id_front', 'id_back'] },
      });
      expect((await agentA.ok<Detail>('GET', base)).state).toBe('draft');
      await agentA.ok('PUT', `${base}/documents/licence`, b64(PNG));
      await agentA.ok('PUT', `${base}/documents/id_front`, {
        content: `data:image/jpeg;base64,${JPEG.toString('base64')}`,
      });
      const pdf = await agentA.ok<{ contentType: string; sizeBytes: number }>(
        'PUT',
        `${base}/documents/id_back`,
        b64(PDF),
      );
      expect(pdf).toMatchObject({ contentType: 'application/pdf', sizeBytes: PDF.length });
      expect((await agentA.ok<ApplicationView>('POST', `${base}/submit`)).state).toBe('submitted');

      // A submitted application is no longer the agent's to change.
      const late = await agentA.send('PUT', base, application());
      expect(refusal(late)).toMatchObject({
        status: 409,
        code: 'APPLICATION_STATE_INVALID',
        details: { state: 'submitted' },
      });

      // The agent's list and detail: masked numbers only.
      const list = await agentA.call<{ items: ApplicationView[] }>(
        'GET',
        '/api/agent/onboarding/applications',
      );
      expect(list.body.items.map((i) => i.applicationNo)).toContain(draft.applicationNo);
      const agentDetail = await agentA.call<Detail>('GET', base);
      for (const text of [list.text, agentDetail.text]) {
        for (const secret of [ID_NUMBER, LICENCE, PHONE, CARD]) expect(text).not.toContain(secret);
      }
      expect(agentDetail.body.numbers).toBeNull();

      // The operator's queue, by state; the reviewer's detail has the numbers in full.
      const queue = await admin.call<{ items: ApplicationView[] }>(
        'GET',
        '/api/admin/onboarding/applications?state=submitted',
      );
      expect(queue.body.items.map((i) => i.applicationNo)).toContain(draft.applicationNo);
      for (const secret of [ID_NUMBER, LICENCE, PHONE, CARD]) expect(queue.text).not.toContain(secret);
      const adminBase = `/api/admin/onboarding/applications/${draft.applicationNo}`;
      const review = await admin.ok<Detail>('GET', adminBase);
      expect(review.numbers).toEqual({ idNumber: ID_NUMBER, licenceNo: LICENCE, phone: PHONE, cardNo: CARD });
      expect(review.documents.map((d) => d.kind).sort()).toEqual(['id_back', 'id_front', 'licence']);
      expect(review.hits).toEqual([]);
      const image = await admin.call<string>('GET', `${adminBase}/documents/licence`);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/png');
      expect(image.headers.get('cache-control')).toBe('no-store');

      // Changes asked for: the agent sees the note, edits and resubmits.
      const asked = await admin.ok<ApplicationView>('POST', `${adminBase}/request-changes`, {
        note: 'The licence photo is blurred',
      });
      expect(asked).toMatchObject({ state: 'changes_requested', reviewNote: 'The licence photo is blurred' });
      const seen = await agentA.ok<Detail>('GET', base);
      expect(seen).toMatchObject({ state: 'changes_requested', reviewNote: 'The licence photo is blurred' });
      const { idNumber: _i, licenceNo: _l, phone: _p, cardNo: _c, ...unchangedNumbers } = application();
      const edited = await agentA.ok<ApplicationView>('PUT', base, {
        ...unchangedNumbers,
        merchantName: 'Tea House (Xiamen)',
      });
      expect(edited).toMatchObject({ state: 'changes_requested', idNumberMasked: '110***********002X' });
      await agentA.ok('PUT', `${base}/documents/licence`, b64(PNG));
      expect((await agentA.ok<ApplicationView>('POST', `${base}/submit`)).state).toBe('resubmitted');

      // Approval opens the merchant under agent A with the rate, the card and the manager's login.
      const manager = { username: uniqueName('ob_mgr'), password: password() };
      const approved = await admin.ok<ApplicationView & { managerUsername: string }>(
        'POST',
        `${adminBase}/approve`,
        { note: 'ok', manager },
      );
      expect(approved).toMatchObject({ state: 'approved', managerUsername: manager.username });
      const mchNo = approved.mchNo!;
      expect(mchNo).toMatch(/^M\d{10}$/);
      const s = t.platform.services;
      const merchant = (await s.merchants.findMerchantByNo(mchNo))!;
      const agent = (await s.agents.requireAgent(agentANo, { rootId: null }))!;
      expect(merchant).toMatchObject({ name: 'Tea House (Xiamen)', state: 'enabled', agent_id: agent.id });
      const rates = await s.catalog.listMerchantRates(merchant.id);
      expect(rates).toEqual([expect.objectContaining({ product_code: product, rate_ppm: 5000 })]);
      const cards = await s.withdrawals.cards.list(merchant.id);
      expect(cards).toEqual([
        expect.objectContaining({
          account_first4: '6222',
          account_last4: '0123',
          card_type: 'corporate',
          state: 'active',
        }),
      ]);
      const merchantLogin = new ConsoleClient(t.platform.url);
      expect(
        await merchantLogin.login('merchant', manager.username, manager.password, {
          newPassword: password(),
        }),
      ).toBe('active');
      // The agent's merchant list has it; the application's history tells every step.
      const merchants = await agentA.ok<{ items: { mchNo: string }[] }>('GET', '/api/agent/merchants');
      expect(merchants.items.map((m) => m.mchNo)).toContain(mchNo);
      const history = (await agentA.ok<Detail>('GET', base)).events.map((e) => e.action);
      expect(history).toEqual(
        expect.arrayContaining(['create', 'submit', 'request_changes', 'update', 'resubmit', 'approve']),
      );
      const again = await admin.send('POST', `${adminBase}/approve`, {});
      expect(refusal(again)).toMatchObject({ status: 409, code: 'APPLICATION_STATE_INVALID' });

      // Every transition is in the audit log, with its own action key.
      const keys = (
        await s.db.query<{ action_key: string }>(`SELECT action_key FROM audit_log WHERE target_id = $1`, [
          draft.applicationNo,
        ])
      ).map((r) => r.action_key);
      for (const key of [
        'onboarding.create',
        'onboarding.upload',
        'onboarding.submit',
        'onboarding.request_changes',
        'onboarding.update',
        'onboarding.approve',
      ]) {
        expect(keys).toContain(key);
      }
    });

    it('shows a blacklist hit to the reviewer and refuses approval naming the field', async () => {
      const entry = await admin.ok<{ id: string; masked: string; kind: string }>(
        'POST',
        '/api/admin/onboarding/blacklist',
        { kind: 'card_no', value: '6222-0299-9988-7766', note: 'chargebacks' },
      );
      expect(entry).toMatchObject({ kind: 'card_no', masked: '6222 **** **** 7766' });
      const dup = await admin.send('POST', '/api/admin/onboarding/blacklist', {
        kind: 'card_no',
        value: '6222029999887766',
      });
      expect(refusal(dup)).toMatchObject({ status: 409, code: 'ALREADY_EXISTS' });
      const bad = await admin.send('POST', '/api/admin/onboarding/blacklist', {
        kind: 'phone',
        value: 'call me',
      });
      expect(refusal(bad)).toMatchObject({
        status: 400,
        code: 'INVALID_REQUEST',
        details: { field: 'value' },
      });

      const app = await submitted(agentA, { cardNo: '6222029999887766' });
      const adminBase = `/api/admin/onboarding/applications/${app.applicationNo}`;
      const detail = await admin.ok<Detail>('GET', adminBase);
      expect(detail.hits).toEqual([
        expect.objectContaining({ field: 'cardNo', kind: 'card_no', entryId: entry.id }),
      ]);
      const queue = await admin.ok<{ items: ApplicationView[] }>('GET', '/api/admin/onboarding/applications');
      expect(queue.items.find((i) => i.applicationNo === app.applicationNo)?.blacklistHit).toBe(true);
      // The agent is not told which entry matched.
      expect(
        (await agentA.ok<Detail>('GET', `/api/agent/onboarding/applications/${app.applicationNo}`)).hits,
      ).toEqual([]);

      const refused = await admin.send('POST', `${adminBase}/approve`, {});
      expect(refusal(refused)).toMatchObject({
        status: 409,
        code: 'BLACKLIST_HIT',
        details: { field: 'cardNo', kind: 'card_no', entryId: entry.id },
      });
      expect(await admin.ok<Detail>('GET', adminBase)).toMatchObject({ state: 'submitted', mchNo: null });

      // The blacklist itself holds no number; removing the entry clears the hit.
      const listed = await admin.call<{ items: { id: string }[] }>(
        'GET',
        '/api/admin/onboarding/blacklist?kind=card_no',
      );
      expect(listed.text).not.toContain('6222029999887766');
      const rows = await t.platform.services.db.query<{ row: string }>(
        'SELECT b::text AS row FROM blacklist_entry b',
      );
      for (const r of rows) expect(r.row).not.toContain('6222029999887766');
      await admin.ok('PATCH', `/api/admin/onboarding/blacklist/${entry.id}`, { note: 'checked again' });
      await admin.ok('DELETE', `/api/admin/onboarding/blacklist/${entry.id}`);
      expect((await admin.ok<Detail>('GET', adminBase)).hits).toEqual([]);
      const rejected = await admin.ok<ApplicationView>('POST', `${adminBase}/reject`, {
        reason: 'unclear owner',
      });
      expect(rejected).toMatchObject({ state: 'rejected', reviewNote: 'unclear owner' });
    });

    it('refuses approval when a rate breaks the rule along the agent chain, and opens nothing', async () => {
      const app = await submitted(agentA, { rates: [{ productCode: product, ratePpm: 2500 }] });
      const adminBase = `/api/admin/onboarding/applications/${app.applicationNo}`;
      const refused = await admin.send('POST', `${adminBase}/approve`, {});
      expect(refusal(refused)).toMatchObject({
        status: 400,
        code: 'RATE_RULE_VIOLATION',
        details: { reason: 'agent_chain', level: 'merchant', agentNo: agentANo, lower: 3000, upper: 2500 },
      });
      expect(await admin.ok<Detail>('GET', adminBase)).toMatchObject({ state: 'submitted', mchNo: null });
      const name = (
        await t.platform.services.db.query<{ n: bigint }>(
          'SELECT count(*) AS n FROM merchant m JOIN onboarding_application o ON o.merchant_name = m.name WHERE o.application_no = $1',
          [app.applicationNo],
        )
      )[0]!.n;
      expect(name).toBe(0n);
    });

    it('keeps one agent’s applications and documents from another (404) and from the operator’s own', async () => {
      const app = await submitted(agentA);
      const base = `/api/agent/onboarding/applications/${app.applicationNo}`;
      const list = await agentB.ok<{ items: ApplicationView[] }>('GET', '/api/agent/onboarding/applications');
      expect(list.items).toEqual([]);
      expect((await agentB.send('GET', base)).status).toBe(404);
      expect((await agentB.send('GET', `${base}/documents/id_front`)).status).toBe(404);
      expect((await agentB.send('PUT', `${base}/documents/id_front`, b64(JPEG))).status).toBe(404);
      expect((await agentB.send('PUT', base, application())).status).toBe(404);
      expect((await agentB.send('POST', `${base}/submit`)).status).toBe(404);
      // Nor may agent B open an application under agent A.
      const under = await agentB.send('POST', '/api/agent/onboarding/applications', {
        ...application(),
        agentNo: agentANo,
      });
      expect(under.status).toBe(404);
      // The operator's own application (the platform's merchant) is no agent's.
      const own = await admin.ok<ApplicationView>('POST', '/api/admin/onboarding/applications', {
        ...application({ merchantType: 'individual', licenceNo: undefined }),
        agentNo: null,
      });
      expect(own.licenceNoMasked).toBeNull();
      expect(
        (await agentA.send('GET', `/api/agent/onboarding/applications/${own.applicationNo}`)).status,
      ).toBe(404);
      const doc = await agentA.call<string>('GET', `${base}/documents/id_front`);
      expect(doc.status).toBe(200);
      expect(doc.headers.get('content-type')).toBe('image/jpeg');
    });

    it('refuses documents that are not JPEG, PNG or PDF by their bytes, or too large, and stores nothing', async () => {
      const draft = await agentA.ok<ApplicationView>(
        'POST',
        '/api/agent/onboarding/applications',
        application(),
      );
      const base = `/api/agent/onboarding/applications/${draft.applicationNo}`;
      const html = await agentA.send(
        'PUT',
        `${base}/documents/licence`,
        b64(Buffer.from('<html><script>alert(1)</script>')),
      );
      expect(refusal(html)).toMatchObject({ status: 415, code: 'FILE_TYPE_NOT_ALLOWED' });
      const big = Buffer.concat([PNG, Buffer.alloc(5 * 1024 * 1024)]);
      const large = await agentA.send('PUT', `${base}/documents/licence`, b64(big));
      expect(refusal(large)).toMatchObject({
        status: 413,
        code: 'FILE_TOO_LARGE',
        details: { maxBytes: 5 * 1024 * 1024 },
      });
      const notBase64 = await agentA.send('PUT', `${base}/documents/licence`, { content: '!!!' });
      expect(refusal(notBase64)).toMatchObject({
        status: 400,
        code: 'INVALID_REQUEST',
        details: { field: 'content' },
      });
      expect((await agentA.ok<Detail>('GET', base)).documents).toEqual([]);
    });

    it('keeps no number in the clear in the database, the audit log or the document files', async () => {
      const db = t.platform.services.db;
      // Refused requests are audited too: their numbers are replaced before the row is written.
      const readOnly = await operatorConsole(t, 'read_only');
      const refused = await readOnly.send('POST', '/api/admin/onboarding/applications', application());
      expect(refusal(refused)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      const invalid = await agentA.send(
        'POST',
        '/api/agent/onboarding/applications',
        application({ legalName: '' }),
      );
      expect(refusal(invalid)).toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
      const apps = await db.query<{ row: string }>('SELECT o::text AS row FROM onboarding_application o');
      expect(apps.length).toBeGreaterThan(0);
      const audit = await db.query<{ row: string }>(
        `SELECT a::text AS row FROM audit_log a WHERE action_key LIKE 'onboarding.%' OR action_key LIKE 'blacklist.%'`,
      );
      expect(audit.length).toBeGreaterThan(0);
      for (const { row } of [...apps, ...audit]) {
        for (const secret of [ID_NUMBER, LICENCE, PHONE, CARD, '6222029999887766'])
          expect(row).not.toContain(secret);
      }
      const dir = uploadDir;
      const files = fs.readdirSync(dir);
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) {
        expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
        expect(fs.readFileSync(path.join(dir, f), 'utf8')).toMatch(/^v2\./);
      }
    });
  });
}
