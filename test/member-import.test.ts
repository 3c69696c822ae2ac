import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../src/errors.ts';
import { ROW_MESSAGES_ZH } from '../src/members/import-file.ts';
import { type ConsoleClient, merchantConsole, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * Batch import of members and their cards (issue 17): the template, the upload's validation report
 * (nothing created), the operators' review, the worker opening the approved rows (members, real-name
 * check, cards), a crash in the middle not opening anything twice, tenant isolation, the result
 * file (回盘文件) read back, CSV and XLSX both. The worker is off (role api): the suite runs the
 * job's step itself.
 */

const HEADERS = [
  '外部会员号',
  '会员类型',
  '姓名/企业名称',
  '手机号',
  '证件号码',
  '法人姓名',
  '银行卡号',
  '开户行',
  '开户支行',
  '预留手机号',
];

/** A resident ID number born on 1990-03-07 with `seq` as its sequence digits and a correct check character. */
function idNo(seq: number): string {
  const body = `11010519900307${String(seq).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.reduce((s, w, i) => s + w * Number(body[i]), 0);
  return body + '10X98765432'[sum % 11];
}

/** An ID number whose last character is not 4 (the sandbox verifier refuses those), or is. */
function idNoEnding(seqFrom: number, fails: boolean): string {
  for (let seq = seqFrom; ; seq++) {
    const id = idNo(seq);
    if (id.endsWith('4') === fails) return id;
  }
}

/** A 16-digit card number with a correct Luhn digit that does not end in 4. */
function cardNo(seed: number): string {
  for (let n = seed; ; n++) {
    const body = `622202${String(n).padStart(9, '0')}`;
    let sum = 0;
    for (let i = 0; i < body.length; i++) {
      let d = Number(body[body.length - 1 - i]);
      if (i % 2 === 0) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
    }
    const check = (10 - (sum % 10)) % 10;
    if (check !== 4) return body + check;
  }
}

const csv = (rows: string[][]) =>
  rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n');

async function xlsx(rows: string[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('会员');
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** A file's rows as text, read back the way a merchant's spreadsheet would. */
async function readBack(bytes: Buffer, format: 'csv' | 'xlsx'): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook();
  const sheet =
    format === 'csv'
      ? await workbook.csv.read(Readable.from([bytes.toString('utf8').replace(/^\uFEFF/, '')]), {
          map: (v: string) => v,
        } as unknown as ExcelJS.CsvReadOptions)
      : (await workbook.xlsx.load(bytes as unknown as ArrayBuffer)).worksheets[0]!;
  const rows: string[][] = [];
  sheet.eachRow({ includeEmpty: false }, (row) => {
    rows.push(
      (row.values as unknown[]).slice(1).map((v) => (v === null || v === undefined ? '' : String(v))),
    );
  });
  return rows;
}

interface BatchView {
  batchNo: string;
  state: string;
  totalRows: number;
  validRows: number;
  invalidRows: number;
  processedRows: number;
  createdRows: number;
  failedRows: number;
  rejectReason: string | null;
  merchantName?: string;
}
interface RowView {
  lineNo: number;
  bizUserId: string;
  idNoMasked: string;
  cardNoMasked: string;
  problems: { field: string; code: string }[];
  outcome: string;
  memberNo: string | null;
  errorCode: string | null;
}

for (const database of testDatabases) {
  describe(`member import on ${database.kind}`, () => {
    let t: TestPlatform;
    let manager: ConsoleClient;
    let otherManager: ConsoleClient;
    let operator: ConsoleClient;
    let merchantId: bigint;
    let appDbId: bigint;
    let run = '';
    const services = () => t.platform.services;
    const biz = (name: string) => `${run}-${name}`;

    const upload = (client: ConsoleClient, bytes: Buffer | string, fileName = 'members.csv') =>
      client.call<{ batch: BatchView; rows: RowView[] }>('POST', '/api/merchant/member-imports', {
        fileName,
        file: Buffer.from(bytes).toString('base64'),
      });
    const memberCount = async (bizUserIds: string[]) =>
      Number(
        (
          await services().db.query<{ n: string }>(
            'SELECT count(*) AS n FROM member WHERE app_id = $1 AND biz_user_id = ANY($2::text[])',
            [appDbId, bizUserIds],
          )
        )[0]!.n,
      );
    async function download(client: ConsoleClient, path: string): Promise<Buffer> {
      const response = await fetch(`${client.baseUrl}${path}`, { headers: { cookie: client.cookie } });
      expect(response.status).toBe(200);
      return Buffer.from(await response.arrayBuffer());
    }
    const personRow = (name: string, seq: number, over: Partial<Record<string, string>> = {}) => {
      const row: Record<string, string> = {
        外部会员号: biz(name),
        会员类型: '个人',
        '姓名/企业名称': `张${name}`,
        手机号: '13800138000',
        证件号码: idNoEnding(seq, false),
        法人姓名: '',
        银行卡号: cardNo(seq * 7),
        开户行: '招商银行',
        开户支行: '深圳分行',
        预留手机号: '',
        ...over,
      };
      return HEADERS.map((h) => row[h] ?? '');
    };
    /** A file uploaded, sent for review and approved, ready for the worker. */
    async function approvedBatch(rows: string[][]): Promise<BatchView> {
      const { batch } = await manager.ok<{ batch: BatchView }>('POST', '/api/merchant/member-imports', {
        fileName: 'members.csv',
        file: Buffer.from(csv([HEADERS, ...rows])).toString('base64'),
      });
      await manager.ok('POST', `/api/merchant/member-imports/${batch.batchNo}/submit`);
      return operator.ok<BatchView>('POST', `/api/admin/member-imports/${batch.batchNo}/approve`);
    }

    beforeAll(async () => {
      t = await startTestPlatform(database, { role: 'api' });
      run = `imp${Date.now().toString(36)}`;
      const keys = (await services().merchants.appKeys(t.demo.merchant.appId))!;
      merchantId = keys.merchantId;
      appDbId = keys.appDbId;
      manager = await merchantConsole(t, { merchantId, merchantRole: 'manager' });
      const other = await services().merchants.createMerchant({ name: '另一商户 import' });
      await services().merchants.createApp(other.mch_no, { name: 'other import app' });
      otherManager = await merchantConsole(t, { merchantId: other.id, merchantRole: 'manager' });
      operator = await operatorConsole(t);
    }, 120_000);

    afterAll(async () => {
      await t?.stop();
    });

    it('offers the template with the Chinese headers in both formats', async () => {
      for (const format of ['csv', 'xlsx'] as const) {
        const bytes = await download(manager, `/api/merchant/member-imports/template?format=${format}`);
        expect((await readBack(bytes, format))[0]).toEqual(HEADERS);
      }
    });

    it('opens the members of a good CSV after approval only, verified, with their cards; the result file says so', async () => {
      const rows = [personRow('good1', 10), personRow('good2', 20, { 预留手机号: '13900139000' })];
      rows.push(
        HEADERS.map(
          (h) =>
            ({
              外部会员号: biz('corp1'),
              会员类型: '企业',
              '姓名/企业名称': '深圳青云科技有限公司',
              手机号: '13700137000',
              // The national enterprise credit system's own example code.
              证件号码: '91350100M000100Y43',
              法人姓名: '李四',
              银行卡号: '755912345678901',
              开户行: '招商银行',
            })[h] ?? '',
        ),
      );
      const answer = await upload(manager, `\uFEFF${csv([HEADERS, ...rows])}`);
      expect(answer.status).toBe(201);
      const { batch, rows: report } = answer.body;
      expect(batch).toMatchObject({ state: 'draft', totalRows: 3, validRows: 3, invalidRows: 0 });
      expect(report.map((r) => [r.lineNo, r.outcome, r.problems])).toEqual([
        [2, 'pending', []],
        [3, 'pending', []],
        [4, 'pending', []],
      ]);
      // Masked in the report, sealed at rest: the full numbers appear nowhere.
      expect(JSON.stringify(answer.body)).not.toContain(rows[0]![4]);
      expect(JSON.stringify(answer.body)).not.toContain(rows[0]![6]);
      expect(report[0]!.idNoMasked).toBe(`**************${rows[0]![4]!.slice(-4)}`);
      const stored = await services().db.query<{ id_no_enc: string; card_no_enc: string }>(
        'SELECT r.id_no_enc, r.card_no_enc FROM member_import_row r JOIN member_import_batch b ON b.id = r.batch_id WHERE b.batch_no = $1',
        [batch.batchNo],
      );
      expect(stored).toHaveLength(3);
      for (const s of stored) {
        expect(s.id_no_enc).not.toContain(rows[0]![4]!.slice(0, 10));
        expect(s.card_no_enc).not.toMatch(/\d{12}/);
      }

      const bizIds = [biz('good1'), biz('good2'), biz('corp1')];
      expect(await memberCount(bizIds)).toBe(0);
      // Not sent for review yet: the operators do not see it, and cannot approve it.
      expect((await operator.call('POST', `/api/admin/member-imports/${batch.batchNo}/approve`)).status).toBe(
        404,
      );
      const submitted = await manager.ok<BatchView>(
        'POST',
        `/api/merchant/member-imports/${batch.batchNo}/submit`,
      );
      expect(submitted.state).toBe('pending_review');
      expect(
        (await manager.call('POST', `/api/merchant/member-imports/${batch.batchNo}/submit`)).body,
      ).toMatchObject({
        code: 'IMPORT_BATCH_STATE',
      });
      await services().memberImports.runDue();
      expect(await memberCount(bizIds)).toBe(0);

      const approved = await operator.ok<BatchView>(
        'POST',
        `/api/admin/member-imports/${batch.batchNo}/approve`,
      );
      expect(approved.state).toBe('processing');
      expect(await services().memberImports.runDue()).toBe(3);
      const done = await manager.ok<BatchView>('GET', `/api/merchant/member-imports/${batch.batchNo}`);
      expect(done).toMatchObject({ state: 'completed', processedRows: 3, createdRows: 3, failedRows: 0 });

      for (const id of bizIds) {
        const member = await services().members.requireByBizUserId(appDbId, id);
        expect(member).toMatchObject({ source: 'import', state: 'verified' });
        expect(member.real_name_verified_at).not.toBeNull();
        const cards = await services().members.cardsOf(member);
        expect(cards).toHaveLength(1);
      }
      const corp = await services().members.requireByBizUserId(appDbId, biz('corp1'));
      expect(corp).toMatchObject({ type: 'enterprise', legal_person_name: '李四' });
      expect((await services().members.cardsOf(corp))[0]).toMatchObject({
        card_type: 'corporate',
        account_last4: '8901',
      });

      for (const format of ['csv', 'xlsx'] as const) {
        const file = await readBack(
          await download(manager, `/api/merchant/member-imports/${batch.batchNo}/result?format=${format}`),
          format,
        );
        expect(file[0]).toEqual(['行号', ...HEADERS, '处理结果', '会员编号', '错误码', '错误信息']);
        expect(file).toHaveLength(4);
        const good1 = file[1]!;
        expect(good1[0]).toBe('2');
        expect(good1[1]).toBe(biz('good1'));
        expect(good1[5]).toBe(`**************${rows[0]![4]!.slice(-4)}`);
        expect(good1[11]).toBe('已创建');
        expect(good1[12]).toBe(
          (await services().members.requireByBizUserId(appDbId, biz('good1'))).member_no,
        );
        expect(file.flat().join()).not.toContain(rows[0]![6]);
      }
      // A second run finds nothing left to do.
      expect(await services().memberImports.runDue()).toBe(0);
    });

    it('reports each bad row with its codes, creates nothing, and refuses to submit a batch without a valid row', async () => {
      const existing = biz('exists');
      await services().members.create(
        { merchantId, appDbId },
        { bizUserId: existing, type: 'personal', name: '已有', idNo: idNo(900) },
        { source: 'api', via: 'api' },
      );
      const goodId = idNoEnding(30, false);
      const badCheck = goodId.slice(0, 17) + (goodId[17] === '0' ? '1' : '0');
      const rows = [
        personRow('b1', 31, { 证件号码: badCheck }),
        personRow('b2', 32, { 手机号: '12345' }),
        personRow('b3', 33, { 银行卡号: '6222020000000001' }),
        personRow('b4', 34, { 外部会员号: existing }),
        personRow('b5', 35, { '姓名/企业名称': '', 会员类型: '团体' }),
        personRow('b6', 36, { 法人姓名: '王五' }),
        personRow('b7', 37, { 会员类型: '企业', 证件号码: '91350100M000100Y44', 法人姓名: '' }),
        personRow('b8', 38, { 外部会员号: biz('b1') }),
        [],
      ];
      const answer = await upload(manager, csv([HEADERS, ...rows]));
      expect(answer.status).toBe(201);
      const { batch, rows: report } = answer.body;
      // The blank last line is no row.
      expect(batch).toMatchObject({ totalRows: 8, validRows: 0, invalidRows: 8 });
      const codes = Object.fromEntries(
        report.map((r) => [r.lineNo, r.problems.map((p) => `${p.field}:${p.code}`)]),
      );
      expect(codes).toEqual({
        2: ['idNo:IMPORT_ID_NO_INVALID'],
        3: ['phone:IMPORT_PHONE_INVALID'],
        4: ['cardNo:IMPORT_CARD_NO_INVALID'],
        5: ['bizUserId:IMPORT_MEMBER_EXISTS'],
        6: ['name:IMPORT_FIELD_MISSING', 'type:IMPORT_MEMBER_TYPE_INVALID'],
        7: ['legalPersonName:IMPORT_LEGAL_PERSON_INVALID'],
        8: ['idNo:IMPORT_ID_NO_INVALID', 'legalPersonName:IMPORT_FIELD_MISSING'],
        9: ['bizUserId:IMPORT_DUPLICATE_IN_FILE'],
      });
      expect(report.every((r) => r.outcome === 'invalid')).toBe(true);
      expect(
        await memberCount(
          rows
            .slice(0, 8)
            .map((r) => r[0]!)
            .filter((b) => b !== existing),
        ),
      ).toBe(0);
      const refused = await manager.call<{ code: string }>(
        'POST',
        `/api/merchant/member-imports/${batch.batchNo}/submit`,
      );
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('IMPORT_NOTHING_VALID');

      // The result file lists the refused rows with their codes and the sentences.
      const file = await readBack(
        await download(manager, `/api/merchant/member-imports/${batch.batchNo}/result?format=csv`),
        'csv',
      );
      expect(file[1]!.slice(11)).toEqual([
        '校验未通过',
        '',
        'IMPORT_ID_NO_INVALID',
        `证件号码：${ROW_MESSAGES_ZH.IMPORT_ID_NO_INVALID}`,
      ]);
      // Every row code is an error code with a status, and has a sentence for the result file.
      for (const code of Object.keys(ERROR_STATUS).filter(
        (c) => c.startsWith('IMPORT_') && ERROR_STATUS[c as keyof typeof ERROR_STATUS] === 422,
      )) {
        expect(ROW_MESSAGES_ZH[code], code).toBeTruthy();
      }
    });

    it('refuses a file it cannot use as a whole', async () => {
      const noColumn = await upload(manager, csv([HEADERS.filter((h) => h !== '证件号码'), ['x']]));
      expect(noColumn.status).toBe(400);
      expect(noColumn.body).toMatchObject({
        code: 'IMPORT_FILE_INVALID',
        details: { reason: 'missing_column', column: '证件号码' },
      });
      const empty = await upload(manager, csv([HEADERS]));
      expect(empty.body).toMatchObject({ code: 'IMPORT_FILE_INVALID', details: { reason: 'no_rows' } });
      const tooMany = await upload(
        manager,
        csv([HEADERS, ...Array.from({ length: 5_001 }, (_, i) => [`m${i}`])]),
      );
      expect(tooMany.body).toMatchObject({
        code: 'IMPORT_FILE_INVALID',
        details: { reason: 'too_many_rows', maxRows: 5000 },
      });
    });

    it('creates nothing of a rejected batch, and keeps the reason', async () => {
      const { batch } = (await upload(manager, csv([HEADERS, personRow('rej1', 40)]))).body;
      await manager.ok('POST', `/api/merchant/member-imports/${batch.batchNo}/submit`);
      const rejected = await operator.ok<BatchView>(
        'POST',
        `/api/admin/member-imports/${batch.batchNo}/reject`,
        {
          reason: '资料不全',
        },
      );
      expect(rejected).toMatchObject({ state: 'rejected', rejectReason: '资料不全' });
      await services().memberImports.runDue();
      expect(await memberCount([biz('rej1')])).toBe(0);
      const late = await operator.call<{ code: string }>(
        'POST',
        `/api/admin/member-imports/${batch.batchNo}/approve`,
      );
      expect(late.body.code).toBe('IMPORT_BATCH_STATE');
      expect(
        await manager.ok<BatchView>('GET', `/api/merchant/member-imports/${batch.batchNo}`),
      ).toMatchObject({
        state: 'rejected',
        rejectReason: '资料不全',
      });
      const audit = await services().db.query<{ action: string }>(
        'SELECT action FROM audit_log WHERE target_id = $1 AND status < 300 ORDER BY id',
        [batch.batchNo],
      );
      expect(audit.map((a) => a.action)).toEqual([
        'POST /api/merchant/member-imports',
        'POST /api/merchant/member-imports/:batchNo/submit',
        'POST /api/admin/member-imports/:batchNo/reject',
      ]);
    });

    it("keeps each merchant's batches its own; the operators see every merchant's submitted ones", async () => {
      const { batch } = (await upload(manager, csv([HEADERS, personRow('iso1', 50)]))).body;
      for (const [method, path] of [
        ['GET', `/api/merchant/member-imports/${batch.batchNo}`],
        ['GET', `/api/merchant/member-imports/${batch.batchNo}/rows`],
        ['GET', `/api/merchant/member-imports/${batch.batchNo}/result?format=csv`],
        ['POST', `/api/merchant/member-imports/${batch.batchNo}/submit`],
      ] as const) {
        expect((await otherManager.call(method, path)).status, path).toBe(404);
      }
      const others = await otherManager.ok<{ items: BatchView[] }>('GET', '/api/merchant/member-imports');
      expect(others.items.map((b) => b.batchNo)).not.toContain(batch.batchNo);
      const own = await manager.ok<{ items: BatchView[] }>('GET', '/api/merchant/member-imports');
      expect(own.items.map((b) => b.batchNo)).toContain(batch.batchNo);
      // The other merchant's own upload goes into its own app: the same bizUserId is no conflict there.
      const theirs = (await upload(otherManager, csv([HEADERS, personRow('iso1', 51)]))).body.batch;
      expect(theirs.validRows).toBe(1);
      await otherManager.ok('POST', `/api/merchant/member-imports/${theirs.batchNo}/submit`);
      await manager.ok('POST', `/api/merchant/member-imports/${batch.batchNo}/submit`);
      const queue = await operator.ok<{ items: BatchView[] }>(
        'GET',
        '/api/admin/member-imports?state=pending_review',
      );
      const seen = queue.items.map((b) => b.batchNo);
      expect(seen).toEqual(expect.arrayContaining([batch.batchNo, theirs.batchNo]));
      expect(queue.items.find((b) => b.batchNo === theirs.batchNo)?.merchantName).toBe('另一商户 import');
      const cashier = await merchantConsole(t, { merchantId, merchantRole: 'cashier' });
      expect((await cashier.call('GET', '/api/merchant/member-imports')).status).toBe(403);
    });

    it('opens a row once when the worker stops after the member or after the card', async () => {
      const rows = [personRow('crash1', 60), personRow('crash2', 70)];
      const batch = await approvedBatch(rows);
      const members = services().members;
      const verify = members.verify.bind(members);
      const bindCard = members.bindCard.bind(members);
      // The first row's run stops right after its member is opened.
      members.verify = async () => {
        members.verify = verify;
        throw new Error('connection lost');
      };
      await expect(services().memberImports.runDue()).rejects.toThrow('connection lost');
      expect(await memberCount([biz('crash1')])).toBe(1);
      // The next run stops right after the card is bound.
      members.bindCard = async (...args: Parameters<typeof bindCard>) => {
        members.bindCard = bindCard;
        await bindCard(...args);
        throw new Error('connection lost');
      };
      await expect(services().memberImports.runDue()).rejects.toThrow('connection lost');
      expect(await services().memberImports.runDue()).toBe(2);
      const done = await manager.ok<BatchView>('GET', `/api/merchant/member-imports/${batch.batchNo}`);
      expect(done).toMatchObject({ state: 'completed', processedRows: 2, createdRows: 2, failedRows: 0 });
      for (const id of [biz('crash1'), biz('crash2')]) {
        expect(await memberCount([id])).toBe(1);
        expect(await members.cardsOf(await members.requireByBizUserId(appDbId, id))).toHaveLength(1);
      }
    });

    it('reads an XLSX, fails the rows the verifier refuses or someone opened meanwhile, and writes the XLSX result', async () => {
      const refused = personRow('x2', 80, { 证件号码: idNoEnding(80, true) });
      const rows = [personRow('x1', 81), refused, personRow('x3', 82)];
      const answer = await upload(manager, await xlsx([HEADERS, ...rows]), 'members.xlsx');
      expect(answer.status).toBe(201);
      const { batch } = answer.body;
      expect(batch).toMatchObject({ totalRows: 3, validRows: 3 });
      await manager.ok('POST', `/api/merchant/member-imports/${batch.batchNo}/submit`);
      await operator.ok('POST', `/api/admin/member-imports/${batch.batchNo}/approve`);
      // Opened through the API between the upload and the worker: not this batch's to take over.
      await services().members.create(
        { merchantId, appDbId },
        { bizUserId: biz('x3'), type: 'personal', name: '别人', idNo: idNo(990) },
        { source: 'api', via: 'api' },
      );
      await services().memberImports.runDue();
      const done = await operator.ok<BatchView>('GET', `/api/admin/member-imports/${batch.batchNo}`);
      expect(done).toMatchObject({ state: 'completed', createdRows: 1, failedRows: 2 });
      expect(await memberCount([biz('x2')])).toBe(0);
      const page = await operator.ok<{ items: RowView[] }>(
        'GET',
        `/api/admin/member-imports/${batch.batchNo}/rows`,
      );
      expect(page.items.map((r) => [r.outcome, r.errorCode])).toEqual([
        ['created', null],
        ['failed', 'MEMBER_VERIFY_FAILED'],
        ['failed', 'IMPORT_MEMBER_EXISTS'],
      ]);
      const file = await readBack(
        await download(manager, `/api/merchant/member-imports/${batch.batchNo}/result?format=xlsx`),
        'xlsx',
      );
      expect(file.slice(1).map((r) => [r[1], r[11], r[13]])).toEqual([
        [biz('x1'), '已创建', ''],
        [biz('x2'), '失败', 'MEMBER_VERIFY_FAILED'],
        [biz('x3'), '失败', 'IMPORT_MEMBER_EXISTS'],
      ]);
      expect(file[2]![14]).toContain('实名认证未通过');
    });
  });
}
