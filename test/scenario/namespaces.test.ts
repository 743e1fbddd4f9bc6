import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/common/errors.js';
import type { NamespaceConfig } from '../../src/scenario/config.js';
import { AutomanagedNamespaces, isAutomanagedName } from '../../src/scenario/namespaces.js';
import { startApiFixture, type ApiFixture } from './kube-fixture.js';

let api: ApiFixture;
beforeAll(async () => {
  api = await startApiFixture({ controllers: true });
});
afterAll(() => api.close());

const config = (over: Partial<NamespaceConfig>): NamespaceConfig => ({
  number: 3,
  prefix: 'auto',
  deleteStaleNamespaces: false,
  deleteAutomanagedNamespaces: true,
  enableExistingNamespaces: false,
  deleteNamespaceTimeoutMs: 10_000,
  ...over,
});

const exists = (name: string) => api.store.tryGet('namespaces', undefined, name) !== undefined;

describe('automanaged namespaces', () => {
  it('creates <prefix>-1..N, then deletes them and their contents, waiting until gone', async () => {
    const ns = new AutomanagedNamespaces(api.kube, config({ prefix: 'auto' }), {
      pollIntervalMs: 20,
    });
    expect(await ns.create()).toEqual(['auto-1', 'auto-2', 'auto-3']);
    expect(['auto-1', 'auto-2', 'auto-3'].every(exists)).toBe(true);
    api.store.create('configmaps', { metadata: { name: 'c', namespace: 'auto-2' } });

    const mark = api.kube.log.length;
    const outcome = await ns.delete();
    expect(outcome).toEqual({
      deleted: ['auto-1', 'auto-2', 'auto-3'],
      remaining: [],
      timedOut: false,
      errors: [],
    });
    expect(api.kube.log.slice(mark, mark + 3)).toEqual([
      'DELETE /api/v1/namespaces/auto-1',
      'DELETE /api/v1/namespaces/auto-2',
      'DELETE /api/v1/namespaces/auto-3',
    ]);
    expect(exists('auto-2')).toBe(false);
    expect(api.store.tryGet('configmaps', 'auto-2', 'c')).toBeUndefined();
    // Deleting again (e.g. on abort after a normal end) is a no-op.
    expect((await ns.delete()).deleted).toEqual([]);
  });

  it('refuses existing namespaces unless enableExistingNamespaces', async () => {
    api.store.create('namespaces', { metadata: { name: 'taken-2' } });
    const strict = new AutomanagedNamespaces(api.kube, config({ prefix: 'taken' }));
    await expect(strict.create()).rejects.toThrow(ConfigError);
    await expect(strict.create()).rejects.toThrow(
      /automanaged namespace taken-2 already exists; set namespace\.enableExistingNamespaces: true/,
    );
    expect(exists('taken-1')).toBe(false);

    const lenient = new AutomanagedNamespaces(
      api.kube,
      config({ prefix: 'taken', enableExistingNamespaces: true }),
      { pollIntervalMs: 20 },
    );
    await lenient.create();
    expect(['taken-1', 'taken-2', 'taken-3'].every(exists)).toBe(true);
    // Only the namespaces this run created are deleted.
    const outcome = await lenient.delete();
    expect(outcome.deleted).toEqual(['taken-1', 'taken-3']);
    expect(exists('taken-2')).toBe(true);
  });

  it('deletes stale namespaces of the prefix first with deleteStaleNamespaces', async () => {
    for (const n of ['stale-1', 'stale-7', 'stale-x'])
      api.store.create('namespaces', { metadata: { name: n } });
    const ns = new AutomanagedNamespaces(
      api.kube,
      config({ prefix: 'stale', number: 2, deleteStaleNamespaces: true }),
      { pollIntervalMs: 20 },
    );
    await ns.create();
    expect(exists('stale-7')).toBe(false);
    expect(exists('stale-x')).toBe(true);
    expect(['stale-1', 'stale-2'].every(exists)).toBe(true);
    await ns.delete();
  });

  it('keeps them with deleteAutomanagedNamespaces: false', async () => {
    const ns = new AutomanagedNamespaces(
      api.kube,
      config({ prefix: 'keep', number: 1, deleteAutomanagedNamespaces: false }),
    );
    await ns.create();
    expect(await ns.delete()).toEqual({ deleted: [], remaining: [], timedOut: false, errors: [] });
    expect(exists('keep-1')).toBe(true);
  });

  it('reports namespaces still terminating at deleteNamespaceTimeout', async () => {
    const ns = new AutomanagedNamespaces(
      api.kube,
      config({ prefix: 'slow', number: 1, deleteNamespaceTimeoutMs: 100 }),
      { pollIntervalMs: 20 },
    );
    await ns.create();
    // A finalizer nobody removes keeps the namespace terminating.
    api.store.create('configmaps', {
      metadata: { name: 'held', namespace: 'slow-1', finalizers: ['example.com/hold'] },
    });
    const outcome = await ns.delete();
    expect(outcome.timedOut).toBe(true);
    expect(outcome.remaining).toEqual(['slow-1']);
  });

  it('recognises the names of a prefix', () => {
    expect(isAutomanagedName('test-abc-12', 'test-abc')).toBe(true);
    expect(isAutomanagedName('test-abc-x', 'test-abc')).toBe(false);
    expect(isAutomanagedName('test-abcd-1', 'test-abc')).toBe(false);
  });
});
