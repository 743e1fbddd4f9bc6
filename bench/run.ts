/**
 * `npm run bench`: the benchmarks, reporting numbers (they are not tests).
 *   npm run bench                         codec throughput, then 1,000 hollow nodes + 1,000 pods
 *   npm run bench -- --nodes 10000 --pods 5000
 *   npm run bench -- --json               one JSON object on stdout
 */
import { run as runCodec } from './codec.js';
import { run as runEmbedded } from './embedded.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const json = process.argv.includes('--json');
const codec = await runCodec({ json, seconds: flag('seconds', 2) });
const embedded = await runEmbedded({
  json,
  nodes: flag('nodes', 1000),
  pods: flag('pods', 1000),
  steadySeconds: flag('steady', 20),
});
if (json) process.stdout.write(`${JSON.stringify({ codec, embedded })}\n`);
else {
  const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  process.stderr.write(
    [
      '',
      `hollow nodes: ${embedded.readyNodes}/${embedded.nodes} Ready in ${embedded.rampSeconds.toFixed(1)} s (${embedded.readyPerSecond.toFixed(0)}/s)`,
      `  per node at steady state: ${kib(embedded.rssPerNodeBytes)} RSS, ${kib(embedded.heapPerNodeBytes)} heap, ${embedded.cpuPerNodeUs} µs CPU per second`,
      `  event-loop delay p99: ${embedded.eventLoopP99Ms.toFixed(1)} ms (includes the 10 ms sampling resolution)`,
      `embedded control plane: ${(embedded.controlPlaneRssBytes / 2 ** 20).toFixed(0)} MiB RSS (${kib(embedded.controlPlaneRssPerNodeBytes)} per node)`,
      `  pods: ${embedded.podsRunning}/${embedded.pods} Running at ${embedded.podsRunningPerSecond} pods/s (create → schedule → deliver → status)`,
      '',
    ].join('\n'),
  );
}
process.exit(0);
