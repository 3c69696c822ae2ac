/**
 * The reconciliation workload's measured part in a process of its own (PostgreSQL): the platform's
 * services over the bench database, one upload of the statement, and the process's own peak memory,
 * so that what the other workloads left in the bench's heap is not counted. Prints one JSON line.
 */
import fs from 'node:fs';
import { createLogger } from '../src/app/logger.ts';
import { createServices } from '../src/app/services.ts';
import { openPostgres } from '../src/db/index.ts';
import type { ReconciliationJob } from './reconciliation.ts';
import { runReconciliation } from './reconciliation.ts';

const { databaseUrl, masterKeyHex, config, job } = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as {
  databaseUrl: string;
  masterKeyHex: string;
  config: Parameters<typeof createServices>[1];
  job: ReconciliationJob;
};
const db = openPostgres(databaseUrl, 4);
const services = createServices(
  db,
  { ...config, masterKey: Buffer.from(masterKeyHex, 'hex') },
  createLogger('silent'),
  () => 'http://127.0.0.1',
);
const cpuBefore = process.cpuUsage();
const result = await runReconciliation(services, job);
const cpu = process.cpuUsage(cpuBefore);
await db.close();
console.log(
  JSON.stringify({
    ...result,
    cpuMs: (cpu.user + cpu.system) / 1000,
    // The process's peak resident memory (KB on Linux), its start included.
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
process.exit(0);
