import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedApiServer } from '../../src/embedded/apiserver/server.js';
import { MemoryObjectStore } from '../../src/embedded/apiserver/store.js';
import { createCertificateAuthority } from '../../src/embedded/pki.js';
import { ListWatch, type ListWatchEventType } from '../../src/kube/list-watch.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(historySize = 100_000) {
  const store = new MemoryObjectStore({ historySize, bookmarkIntervalMs: 0 });
  store.create('namespaces', { metadata: { name: 'lw' } });
  const ca = await createCertificateAuthority();
  const server = new EmbeddedApiServer({ store, ca, tokens: new Set(['t']) });
  await server.start();
  cleanups.push(
    () => store.close(),
    () => server.close(),
  );
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 'c', server: server.url, caData: Buffer.from(ca.certPem).toString('base64') },
    ],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  const events: Array<[ListWatchEventType, string, number]> = [];
  let synced = false;
  const lw = new ListWatch(kc, {
    path: '/api/v1/namespaces/lw/configmaps',
    labelSelector: 'app=x',
    pageSize: 10,
    onEvent: (type, obj, at) => events.push([type, obj.metadata?.name ?? '', at]),
    onSynced: () => (synced = true),
  });
  cleanups.push(() => lw.stop());
  const cm = (name: string, app = 'x') =>
    store.create('configmaps', { metadata: { name, namespace: 'lw', labels: { app } } });
  return { store, server, lw, events, cm, isSynced: () => synced };
}

describe('paged LIST + raw WATCH', () => {
  it('lists in pages, then streams changes with receive times', async () => {
    const { lw, events, cm, store, isSynced } = await setup();
    for (let i = 0; i < 25; i++) cm(`cm-${String(i).padStart(2, '0')}`);
    cm('other', 'y');
    await lw.start();
    expect(isSynced()).toBe(true);
    expect(events.map((e) => e[1])).toHaveLength(25);
    expect(events.every((e) => e[0] === 'ADDED')).toBe(true);
    cm('late');
    store.delete('configmaps', 'lw', 'cm-00');
    await waitFor('watch events', () => events.some((e) => e[0] === 'DELETED'));
    expect(events.slice(25).map((e) => `${e[0]}:${e[1]}`)).toEqual(['ADDED:late', 'DELETED:cm-00']);
    expect(events.at(-1)![2]).toBeGreaterThan(events[0]![2]);
  });

  it('resumes from the last resourceVersion when the stream ends, without duplicates', async () => {
    const { lw, events, cm, server } = await setup();
    cm('a');
    await lw.start();
    server.dropWatches();
    cm('b');
    await waitFor('resumed', () => events.some((e) => e[1] === 'b'));
    expect(events.map((e) => e[1])).toEqual(['a', 'b']);
    expect(lw.relists).toBe(0);
  });

  it('relists when the resourceVersion has expired (410 Gone)', async () => {
    const { lw, events, cm, server } = await setup(8);
    cm('first');
    await lw.start();
    server.dropWatches();
    for (let i = 0; i < 20; i++) cm(`burst-${i}`);
    await waitFor(
      'relisted',
      () => lw.relists === 1 && events.filter((e) => e[1].startsWith('burst-')).length >= 20,
    );
    expect(new Set(events.map((e) => e[1])).size).toBe(21);
  });
});
