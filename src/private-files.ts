import fs from 'node:fs';
import path from 'node:path';

/**
 * The embedded data dir holds the master key, the demo credentials, the control token and the
 * whole database: only the account the platform runs as may read it (PCI DSS 3.5, 3.6). The dir
 * is 0700 and every file in it 0600, whatever the umask was and whatever wrote the file (PGlite
 * unpacks its initial cluster with mode 0666).
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates the directory (0700) or makes an existing one 0700; a shared directory like /tmp is refused. */
export function makePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const stat = fs.statSync(dir);
  // The sticky bit marks a directory other users share (/tmp): taking it over would break them.
  if (stat.mode & 0o1000)
    throw new Error(`${dir} is a shared directory (sticky bit): point QY_DATA_DIR at a directory of its own`);
  if ((stat.mode & 0o777) !== PRIVATE_DIR_MODE) fs.chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Makes the directory 0700 and everything under it 0700 (directories) or 0600 (files); symlinks are left alone. */
export function restrictToOwner(dir: string): void {
  makePrivateDir(dir);
  const pending = [dir];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const entry of fs.readdirSync(next, { withFileTypes: true })) {
      const full = path.join(next, entry.name);
      if (entry.isDirectory()) {
        chmodIfNeeded(full, PRIVATE_DIR_MODE);
        pending.push(full);
      } else if (entry.isFile()) {
        chmodIfNeeded(full, PRIVATE_FILE_MODE);
      }
    }
  }
}

function chmodIfNeeded(file: string, mode: number): void {
  if ((fs.statSync(file).mode & 0o777) !== mode) fs.chmodSync(file, mode);
}

/**
 * Writes a file only its owner can read, in a private directory. The mode is set again after the
 * write: `mode` applies only when a file is created, and an older copy may have been readable.
 */
export function writePrivateFile(file: string, content: string, options: { exclusive?: boolean } = {}): void {
  makePrivateDir(path.dirname(file));
  fs.writeFileSync(file, content, { mode: PRIVATE_FILE_MODE, flag: options.exclusive ? 'wx' : 'w' });
  fs.chmodSync(file, PRIVATE_FILE_MODE);
}

/**
 * Files the process creates from now on are owner-only (umask 077): the embedded database keeps
 * writing new relation and WAL files after it starts. Only for the embedded mode, which owns a
 * data dir; called before the database opens.
 */
export function ownerOnlyUmask(): void {
  process.umask(0o077);
}
