import { ensureWebBuilt } from '../../src/app/web.ts';
import { preparePgliteSnapshot, preparePostgresTemplate } from './database-templates.ts';

/**
 * Vitest global setup: the browser tests need the built consoles (built only when web/ changed);
 * every database suite starts from a migrated empty database made once here.
 */
export default async function setup(): Promise<void> {
  ensureWebBuilt();
  await preparePgliteSnapshot();
  if (process.env.TEST_DATABASE_URL) await preparePostgresTemplate(process.env.TEST_DATABASE_URL);
}
