import { ensureWebBuilt } from '../../src/app/web.ts';
import { preparePgliteSnapshot, preparePostgresTemplate } from './database-templates.ts';

/**
 * Vitest global setup: the browser tests need the built consoles (built only when web/ changed);
 * every database suite starts from a migrated empty database made once here.
 */
export default async function setup(): Promise<void> {
  ensureWebBuilt();
  await preparePgliteSnapshot();
  // The template is made on the server itself: CREATE DATABASE cannot go through pgbouncer.
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? process.env.TEST_DATABASE_URL;
  if (adminUrl) await preparePostgresTemplate(adminUrl);
}
