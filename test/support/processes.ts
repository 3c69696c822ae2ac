import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const CLI = path.resolve(import.meta.dirname, '../../src/app/cli.ts');

/** A `qingyun start` running as a real process. */
export interface QingyunProcess {
  process: ChildProcess;
  /** The address it printed it runs at. */
  url: string;
  /** Everything it wrote to stdout and stderr so far. */
  output: () => string;
}

/** `qingyun <args>` as a real process, its stdout and stderr collected together. */
function spawnQingyun(
  args: string[],
  env: NodeJS.ProcessEnv,
  nodeFlags: string[] = [],
): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', CLI, ...args], {
    // One API process unless a test asks for more: the suites share two cores with each other.
    env: { QY_PROCESSES: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  return { child, output: () => output };
}

/** Runs `qingyun start`; resolves once it prints where it runs, fails if it exits or is silent for `timeoutMs`. */
export function startQingyun(
  env: NodeJS.ProcessEnv,
  timeoutMs = 90_000,
  nodeFlags: string[] = [],
): Promise<QingyunProcess> {
  const { child, output } = spawnQingyun(['start'], env, nodeFlags);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`platform did not start:\n${output()}`)), timeoutMs);
    child.on('exit', (code) => reject(new Error(`platform exited with ${code}:\n${output()}`)));
    const look = () => {
      const match = /running at (http:\/\/\S+)/.exec(output());
      if (!match) return setTimeout(look, 50);
      clearTimeout(timer);
      resolve({ process: child, url: match[1]!, output });
    };
    look();
  });
}

/** Runs a `qingyun` command to its end. */
export function runQingyun(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnQingyun(args, env);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output: output() })));
}

/** Sends `signal` and waits for the process to exit; nothing when it already has. */
export async function stopQingyun(running: QingyunProcess | null, signal: NodeJS.Signals): Promise<void> {
  if (!running || running.process.exitCode !== null || running.process.signalCode !== null) return;
  const exited = new Promise((resolve) => running.process.once('exit', resolve));
  running.process.kill(signal);
  await exited;
}
