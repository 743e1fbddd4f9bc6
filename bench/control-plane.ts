/** Starts `hollowfleet cluster` in its own process for a benchmark and reads its connection details. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { EmbeddedClusterInfo } from '../src/embedded/cluster.js';

export async function spawnControlPlane(
  extraArgs: string[] = [],
): Promise<{ child: ChildProcess; info: EmbeddedClusterInfo }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hf-bench-cp-'));
  const bin = new URL('../bin/hollowfleet.js', import.meta.url).pathname;
  const child = spawn(
    process.execPath,
    [bin, 'cluster', '--json', '--dir', dir, '--hubs', '1', '--node-limit', '20000', ...extraArgs],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) =>
      reject(new Error(`the embedded control plane exited with ${code}`)),
    );
  });
  return { child, info: JSON.parse(line) as EmbeddedClusterInfo };
}
