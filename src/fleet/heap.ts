/**
 * V8 heap settings for the fleet. A hollow node's JavaScript is small (about 12 KiB of live heap,
 * most of it socket, TLS and `ws` objects), but V8's defaults size the heap for throughput: each
 * worker isolate grew a 34 MB young generation that stayed resident, and the handshake garbage of a
 * ramp leaves old-space pages half empty. Measured with `npm run bench:fleet` (README), the two
 * settings below take about 20 KiB of RSS off every hollow node at 19,000 nodes.
 */
import v8 from 'node:v8';

/**
 * Young generation of each worker isolate. The nodes' steady traffic is a few messages per second
 * per thousand nodes, so scavenges stay cheap; a ramp promotes more, which the compaction below
 * cleans up.
 */
export const WORKER_YOUNG_GENERATION_MB = 4;

/**
 * Makes every full collection of this process compact its old space. V8 flags are process-wide,
 * so only processes whose only job is to hold hollow nodes call this (`hollowfleet fleet` and the
 * children of `--processes`): in `hollowfleet run` the main thread also receives watch events, and
 * its receive times must not wait behind longer collection pauses.
 */
export function compactOnEveryFullGc(): void {
  v8.setFlagsFromString('--compact-on-every-full-gc');
}
