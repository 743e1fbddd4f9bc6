/**
 * Codec throughput: beehive messages encoded and decoded per second on one core.
 * Run: npx tsx bench/codec.ts [--json] [--seconds 2]
 */
import { pathToFileURL } from 'node:url';
import { decodeMessage, encodeMessage } from '../src/protocol/codec.js';
import {
  buildAck,
  buildKeepalive,
  buildPush,
  buildRequest,
  type BeehiveMessage,
} from '../src/protocol/message.js';

export interface CodecResult {
  message: string;
  bytes: number;
  encodePerSecond: number;
  decodePerSecond: number;
}

const pod = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: {
    name: 'latency-pod-0',
    namespace: 'test-ns-1',
    uid: '0d2c5a0e-8a51-4bb7-9b1e-6c0f6c1d2e3f',
    resourceVersion: '813001',
    labels: { group: 'latency' },
  },
  spec: {
    nodeName: 'hollow-0-00001',
    containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }],
    restartPolicy: 'Always',
  },
  status: {
    phase: 'Pending',
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-08-06T10:01:39Z' },
    ],
    qosClass: 'BestEffort',
  },
};

function samples(): Array<[string, BeehiveMessage]> {
  const push = buildPush('update', 'test-ns-1/pod/latency-pod-0', pod, '813001');
  const patch = buildRequest(
    'patch',
    'test-ns-1/podpatch/latency-pod-0',
    JSON.stringify({ metadata: { uid: pod.metadata.uid }, status: { phase: 'Running' } }),
  );
  return [
    ['keepalive', buildKeepalive()],
    ['pod update push', push],
    ['ack', buildAck(push)],
    ['podpatch request', patch],
  ];
}

function rate(seconds: number, fn: () => void): number {
  const deadline = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 1000; i++) fn();
    n += 1000;
  }
  return n / seconds;
}

export async function run(opts: { json: boolean; seconds: number }): Promise<CodecResult[]> {
  const results: CodecResult[] = [];
  for (const [name, msg] of samples()) {
    const text = encodeMessage(msg);
    const encodePerSecond = rate(opts.seconds / 2, () => encodeMessage(msg));
    const decodePerSecond = rate(opts.seconds / 2, () => decodeMessage(text));
    results.push({
      message: name,
      bytes: Buffer.byteLength(text),
      encodePerSecond: Math.round(encodePerSecond),
      decodePerSecond: Math.round(decodePerSecond),
    });
  }
  if (!opts.json) {
    process.stderr.write('codec throughput (one core)\n');
    for (const r of results) {
      process.stderr.write(
        `  ${r.message.padEnd(18)} ${String(r.bytes).padStart(5)} B   encode ${r.encodePerSecond.toLocaleString('en-US').padStart(11)}/s   decode ${r.decodePerSecond.toLocaleString('en-US').padStart(11)}/s\n`,
      );
    }
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const json = process.argv.includes('--json');
  const i = process.argv.indexOf('--seconds');
  const results = await run({ json, seconds: i > 0 ? Number(process.argv[i + 1]) : 2 });
  if (json) process.stdout.write(`${JSON.stringify(results)}\n`);
}
