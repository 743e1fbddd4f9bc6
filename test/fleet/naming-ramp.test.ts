import { describe, expect, it } from 'vitest';
import { nodeName, parseShard, splitRange, validatePrefix } from '../../src/fleet/naming.js';
import { createRampBuffer, RampController } from '../../src/fleet/ramp.js';
import { parseAddresses, parseFraction, parseLabels } from '../../src/cli/parse.js';

describe('node naming and sharding', () => {
  it('names nodes <prefix>-<shard>-<index>, zero-padded and deterministic', () => {
    const naming = { prefix: 'hollow', shard: { index: 2, count: 4 } };
    expect(nodeName(naming, 7, 100)).toBe('hollow-2-00007');
    expect(nodeName(naming, 123456, 200000)).toBe('hollow-2-123456');
    expect(nodeName(naming, 7, 100)).toBe(nodeName(naming, 7, 100));
  });

  it('parses --shard i/n and rejects impossible shards', () => {
    expect(parseShard('3/4')).toEqual({ index: 3, count: 4 });
    expect(() => parseShard('4/4')).toThrow(/between 0 and 3/);
    expect(() => parseShard('one')).toThrow(/INDEX\/COUNT/);
    expect(() => validatePrefix('Edge_Nodes')).toThrow(/--prefix/);
  });

  it('splits a range into contiguous parts that differ by at most one', () => {
    expect(splitRange(10, 3)).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 7 },
      { start: 7, end: 10 },
    ]);
    expect(splitRange(2, 4)).toEqual([
      { start: 0, end: 1 },
      { start: 1, end: 2 },
    ]);
  });
});

describe('shared ramp control', () => {
  it('hands out connect slots at the global rate, shared by every controller on the buffer', async () => {
    let now = 1_000_000;
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(Math.round(ms));
    };
    const buffer = createRampBuffer({ connectRate: 100, maxConcurrentHandshakes: 0 });
    const a = new RampController(buffer, { now: () => now, sleep });
    const b = new RampController(buffer, { now: () => now, sleep });
    await a.waitForConnectSlot();
    await b.waitForConnectSlot();
    await a.waitForConnectSlot();
    expect(waits).toEqual([10, 20]);
    now += 1_000;
    await b.waitForConnectSlot();
    expect(waits).toEqual([10, 20]);
  });

  it('caps handshakes in flight across controllers', async () => {
    const buffer = createRampBuffer({ connectRate: 0, maxConcurrentHandshakes: 2 });
    let ticks = 0;
    const sleep = () =>
      new Promise<void>((resolve) => {
        ticks++;
        setImmediate(resolve);
      });
    const a = new RampController(buffer, { sleep });
    const b = new RampController(buffer, { sleep });
    const p1 = await a.acquireHandshake();
    await b.acquireHandshake();
    expect(a.inFlight()).toBe(2);
    let third = false;
    const pending = a.acquireHandshake().then((p) => {
      third = true;
      return p;
    });
    await new Promise((r) => setImmediate(r));
    expect(third).toBe(false);
    p1.release();
    p1.release(); // releasing twice must not free two slots
    (await pending).release();
    expect(third).toBe(true);
    expect(b.inFlight()).toBe(1);
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('flag parsing', () => {
  it('parses address lists, percentages and labels with clear errors', () => {
    expect(parseAddresses('a:10000,[::1]:10001')).toEqual([
      { host: 'a', port: 10000 },
      { host: '::1', port: 10001 },
    ]);
    expect(() => parseAddresses('a')).toThrow(/HOST:PORT/);
    expect(parseFraction('99.9%', '--wait-ready')).toBeCloseTo(0.999);
    expect(parseFraction('1', '--wait-ready')).toBe(1);
    expect(() => parseFraction('120%', '--wait-ready')).toThrow(/--wait-ready/);
    expect(parseLabels('zone=a,tier=edge')).toEqual({ zone: 'a', tier: 'edge' });
    expect(() => parseLabels('novalue')).toThrow(/key=value/);
  });
});
