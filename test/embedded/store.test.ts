import { afterEach, describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../src/embedded/apiserver/store.js';
import {
  ApiStatusError,
  type KubeObject,
  type WatchEvent,
} from '../../src/embedded/apiserver/store-api.js';

let store: MemoryObjectStore;
afterEach(() => store?.close());

function pod(name: string, ns = 'default', extra: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name, namespace: ns, labels: { app: 'a' } },
    spec: { containers: [{ name: 'c', image: 'pause' }], ...extra },
  };
}

function codeOf(fn: () => unknown): [number, string] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiStatusError) return [err.code, err.reason];
    throw err;
  }
  throw new Error('expected an ApiStatusError');
}

describe('MemoryObjectStore', () => {
  it('assigns uid, monotonic resourceVersions and defaults', () => {
    store = new MemoryObjectStore();
    store.create('namespaces', { metadata: { name: 'default' } });
    const a = store.create('pods', pod('a'));
    const b = store.create('pods', pod('b'));
    expect(a.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
    expect(a.kind).toBe('Pod');
    expect((a.status as { phase: string }).phase).toBe('Pending');
    expect(codeOf(() => store.create('pods', pod('a')))).toEqual([409, 'AlreadyExists']);
    expect(codeOf(() => store.get('pods', 'default', 'zzz'))).toEqual([404, 'NotFound']);
    expect(codeOf(() => store.create('pods', pod('x', 'nope')))).toEqual([404, 'NotFound']);
    expect(codeOf(() => store.create('pods', pod('Bad_Name')))).toEqual([422, 'Invalid']);
    expect(
      codeOf(() =>
        store.create('pods', { metadata: { name: 'n', namespace: 'default' }, spec: {} }),
      ),
    ).toEqual([422, 'Invalid']);
  });

  it('detects conflicts on stale updates and merges conditions by type in strategic patches', () => {
    store = new MemoryObjectStore();
    store.create('namespaces', { metadata: { name: 'default' } });
    const a = store.create('pods', pod('a', 'default', { nodeName: 'n1' }));
    store.patch(
      'pods',
      'default',
      'a',
      'strategic',
      { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      { subresource: 'status' },
    );
    expect(codeOf(() => store.update('pods', a))).toEqual([409, 'Conflict']);
    const got = store.get('pods', 'default', 'a');
    const types = (got.status as { conditions: Array<{ type: string }> }).conditions
      .map((c) => c.type)
      .sort();
    expect(types).toEqual(['PodScheduled', 'Ready']);
    expect(
      codeOf(() =>
        store.patch('pods', 'default', 'a', 'json', [
          { op: 'test', path: '/metadata/name', value: 'b' },
        ]),
      ),
    ).toEqual([422, 'Invalid']);
  });

  it('selects by labels and fields and pages with continue tokens', () => {
    store = new MemoryObjectStore();
    store.create('namespaces', { metadata: { name: 'default' } });
    for (let i = 0; i < 7; i++)
      store.create('pods', pod(`p${i}`, 'default', i % 2 ? { nodeName: 'n1' } : {}));
    expect(store.list('pods', { fieldSelector: 'spec.nodeName=n1' }).items).toHaveLength(3);
    expect(store.list('pods', { fieldSelector: 'spec.nodeName=' }).items).toHaveLength(4);
    expect(store.list('pods', { labelSelector: 'app in (a,b),!missing' }).items).toHaveLength(7);
    expect(store.list('pods', { labelSelector: 'app!=a' }).items).toHaveLength(0);
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = store.list('pods', { limit: 3, continue: token });
      names.push(...page.items.map((p) => p.metadata.name!));
      token = page.continue;
    } while (token);
    expect(names).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  });

  it('keeps bound pods until their node deletes them with grace 0', () => {
    store = new MemoryObjectStore();
    store.create('namespaces', { metadata: { name: 'default' } });
    const p = store.create('pods', pod('a', 'default', { nodeName: 'n1' }));
    const marked = store.delete('pods', 'default', 'a');
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    expect(store.tryGet('pods', 'default', 'a')).toBeDefined();
    expect(
      codeOf(() =>
        store.delete('pods', 'default', 'a', {
          gracePeriodSeconds: 0,
          preconditions: { uid: 'other' },
        }),
      ),
    ).toEqual([409, 'Conflict']);
    store.delete('pods', 'default', 'a', {
      gracePeriodSeconds: 0,
      preconditions: { uid: p.metadata.uid },
    });
    expect(store.tryGet('pods', 'default', 'a')).toBeUndefined();
  });

  it('resumes watches from a resourceVersion, reports 410 for expired ones, and follows selector transitions', () => {
    store = new MemoryObjectStore({ historySize: 8 });
    store.create('namespaces', { metadata: { name: 'default' } });
    const first = store.create('pods', pod('a'));
    const events: WatchEvent[] = [];
    const w = store.watch(
      'pods',
      { resourceVersion: first.metadata.resourceVersion, fieldSelector: 'spec.nodeName=n1' },
      (e) => events.push(e),
    );
    store.create('pods', pod('b'));
    store.create('pods', {
      ...pod('c'),
      spec: { containers: [{ name: 'c', image: 'x' }], nodeName: 'n1' },
    });
    store.create('pods', pod('d'));
    store.create(
      'pods',
      { metadata: { name: 'b', namespace: 'default' }, target: { name: 'n1' } } as KubeObject,
      { subresource: 'binding' },
    );
    expect(events.map((e) => `${e.type}:${e.object.metadata.name}`)).toEqual([
      'ADDED:c',
      'ADDED:b',
    ]);
    w.stop();
    for (let i = 0; i < 10; i++) store.create('pods', pod(`z${i}`));
    expect(
      codeOf(() =>
        store.watch('pods', { resourceVersion: first.metadata.resourceVersion }, () => undefined),
      ),
    ).toEqual([410, 'Expired']);
  });

  it('sends synthetic ADDED events when a watch starts without a resourceVersion, and bookmarks on request', () => {
    store = new MemoryObjectStore({ bookmarkIntervalMs: 0 });
    store.create('namespaces', { metadata: { name: 'default' } });
    store.create('pods', pod('a'));
    const events: WatchEvent[] = [];
    store.watch('pods', { allowWatchBookmarks: true }, (e) => events.push(e));
    store.sendBookmarks();
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
    expect(events[1]!.object.metadata.resourceVersion).toBe(store.currentResourceVersion());
  });
});
