import { afterEach, describe, expect, it } from 'vitest';
import { CountingSink } from '../../src/edge/events.js';
import { LinkImpairment, parseFault } from '../../src/edge/faults.js';
import { HollowNode } from '../../src/edge/hollow-node.js';
import { NodeTemplate } from '../../src/edge/node-template.js';
import { resolveNodeProfile } from '../../src/edge/profile.js';
import { bootstrapIdentity } from '../../src/protocol/bootstrap.js';
import type { Scheduler, TimerHandle } from '../../src/protocol/scheduler.js';
import { createClientContext } from '../../src/protocol/tls.js';
import { startHubFixture, type HubFixture } from '../helpers/embedded.js';
import { waitFor } from '../helpers/wait.js';

/** A clock that moves only when told: timers fire in due order as `advance` passes them. */
class ManualScheduler implements Scheduler {
  private time = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  now(): number {
    return this.time;
  }
  schedule(delayMs: number, fn: () => void): TimerHandle {
    const timer = { at: this.time + Math.max(0, delayMs), fn, live: true };
    this.timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }
  dueWithin(ms: number): boolean {
    return this.timers.some((t) => t.live && t.at <= this.time + ms);
  }
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const next = this.timers
        .filter((t) => t.live && t.at <= until)
        .sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      next.live = false;
      this.time = next.at;
      next.fn();
    }
    this.timers = this.timers.filter((t) => t.live);
    this.time = until;
  }
}

describe('link impairment', () => {
  it('adds latency within the jitter band, keeps each direction in order, and loses the configured share', () => {
    const spec = parseFault({ kind: 'degrade', latency: '200ms', jitter: '50ms', loss: '25%' });
    if (spec.kind !== 'degrade') throw new Error('parsed the wrong kind');
    const link = new LinkImpairment('x', spec, 123);
    let lost = 0;
    let lastDelivery = 0;
    for (let i = 0; i < 4000; i++) {
      const now = 10_000 + i; // one message per ms, faster than the jitter: order must hold
      const delay = link.delayFor('up', now);
      if (delay < 0) {
        lost++;
        continue;
      }
      expect(delay).toBeGreaterThanOrEqual(150);
      expect(now + delay).toBeGreaterThanOrEqual(lastDelivery);
      lastDelivery = now + delay;
    }
    expect(lost / 4000).toBeGreaterThan(0.22);
    expect(lost / 4000).toBeLessThan(0.28);
  });

  it('applies only to the configured direction; a half-open link swallows everything', () => {
    const up = parseFault({ kind: 'degrade', latency: '100ms', direction: 'up' });
    if (up.kind !== 'degrade') throw new Error('parsed the wrong kind');
    const link = new LinkImpairment('u', up, 1);
    expect(link.delayFor('up', 0)).toBe(100);
    expect(link.delayFor('down', 0)).toBe(0);
    const half = parseFault({ kind: 'halfOpen', duration: '1s' });
    if (half.kind !== 'halfOpen') throw new Error('parsed the wrong kind');
    const dead = new LinkImpairment('h', half, 1);
    expect(dead.delayFor('up', 0)).toBe(-1);
    expect(dead.delayFor('down', 0)).toBe(-1);
  });
});

describe('degraded round trips on an injected clock', () => {
  let f: HubFixture | undefined;
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const s of stops.splice(0)) await s();
    await f?.close();
  });

  it('a lease renewal through a 300 ms link takes exactly 600 ms (300 up, 300 down)', async () => {
    f = await startHubFixture();
    const identity = await bootstrapIdentity({
      certServerUrl: f.certServer.url,
      token: f.token,
      nodeName: 'clocked-0',
    });
    const clock = new ManualScheduler();
    const sink = new CountingSink();
    const node = new HollowNode({
      name: 'clocked-0',
      index: 0,
      targets: [{ host: '127.0.0.1', port: f.hubs[0]!.port }],
      tls: { secureContext: createClientContext(identity), servername: 'localhost' },
      template: new NodeTemplate(
        resolveNodeProfile({
          intervals: { keepaliveMs: 20_000, leaseMs: 1_000, jitter: 0, requestTimeoutMs: 10_000 },
        }),
      ),
      scheduler: clock,
      sink,
    });
    stops.push(() => node.stop());
    node.start();
    // Time stands still: registration completes over real sockets with zero measured latency.
    await waitFor('ready', () => sink.gauge('ready') === 1);
    const before = sink.observations.get('requestMs')!.length;
    expect(Math.max(...sink.observations.get('requestMs')!)).toBe(0);
    node.applyFault('slow', parseFault({ kind: 'degrade', latency: '300ms' }));
    clock.advance(1_000); // the lease timer fires; its update waits 300 ms on the way up
    expect(sink.counter('faultDelayedUp')).toBe(1);
    clock.advance(300); // written to the socket
    await waitFor('answer held on the way down', () => sink.counter('faultDelayedDown') === 1);
    expect(clock.dueWithin(299)).toBe(false);
    clock.advance(300);
    await waitFor('round trip recorded', () => sink.observations.get('requestMs')!.length > before);
    expect(sink.observations.get('requestMs')!.slice(before)).toEqual([600]);
    expect(sink.observations.get('faultDelayMs')).toEqual([300, 300]);
  });
});
