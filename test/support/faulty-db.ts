import type { Db, Queryable, SqlValue } from '../../src/db/index.ts';
import type { TestDatabase } from './databases.ts';

/**
 * Sees every statement the platform sends, in and out of transactions, before it goes to the
 * database: it may throw (a fault at exactly that statement) or wait (to hold a transaction open).
 */
export type Interceptor = (
  text: string,
  params: SqlValue[] | undefined,
  inTx: boolean,
) => void | Promise<void>;

/** A test database whose Db passes each statement through `intercept` first. */
export function interceptedDatabase(database: TestDatabase, intercept: Interceptor): TestDatabase {
  return {
    kind: database.kind,
    async open() {
      const opened = await database.open();
      return { ...opened, db: intercepted(opened.db, intercept) };
    },
  };
}

export function intercepted(db: Db, intercept: Interceptor): Db {
  const wrap = (q: Queryable, inTx: boolean): Queryable => ({
    async query<Row>(text: string, params?: SqlValue[]) {
      await intercept(text, params, inTx);
      return q.query<Row>(text, params);
    },
    exec: (script) => q.exec(script),
  });
  return {
    ...wrap(db, false),
    kind: db.kind,
    tx: (work) => db.tx((q) => work(wrap(q, true))),
    ping: (timeoutMs) => db.ping(timeoutMs),
    close: () => db.close(),
  };
}

/** The error node-postgres gives when the server ends a backend (a restart, pg_terminate_backend). */
export function terminatedByAdministrator(): Error {
  return Object.assign(new Error('terminating connection due to administrator command'), {
    code: '57P01',
    severity: 'FATAL',
  });
}

/** The statement that records channel acceptances (orders/queries.ts markPaying). */
export const isAcceptanceWrite = (text: string) => text.includes("SET state = 'paying', channel_order_no");
