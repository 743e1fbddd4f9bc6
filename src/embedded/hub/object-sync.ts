/**
 * EMBEDDED CONTROL PLANE ONLY. CloudCore's ObjectSync / ClusterObjectSync records: the last
 * resourceVersion each node acknowledged for each object (protocol.md §3.6). The real CloudCore keeps
 * them as custom resources; the embedded hubs share this in-memory table instead, which spares the
 * embedded API server two writes per ack (a documented deviation).
 */
export interface SyncRecord {
  resource: 'pods' | 'nodes';
  namespace: string | undefined;
  name: string;
  uid: string;
  /** Last acknowledged resourceVersion; 0 when the object was seen but never acknowledged. */
  ackedRv: number;
}

export class ObjectSyncTable {
  private readonly byNode = new Map<string, Map<string, SyncRecord>>();

  ensure(node: string, record: Omit<SyncRecord, 'ackedRv'>): SyncRecord {
    let records = this.byNode.get(node);
    if (!records) {
      records = new Map();
      this.byNode.set(node, records);
    }
    let existing = records.get(record.uid);
    if (!existing) {
      existing = { ...record, ackedRv: 0 };
      records.set(record.uid, existing);
    }
    return existing;
  }

  get(node: string, uid: string): SyncRecord | undefined {
    return this.byNode.get(node)?.get(uid);
  }

  ack(node: string, uid: string, rv: number): void {
    const record = this.byNode.get(node)?.get(uid);
    if (record && rv > record.ackedRv) record.ackedRv = rv;
  }

  remove(node: string, uid: string): void {
    const records = this.byNode.get(node);
    records?.delete(uid);
    if (records?.size === 0) this.byNode.delete(node);
  }

  removeNode(node: string): void {
    this.byNode.delete(node);
  }

  recordsOf(node: string): Iterable<SyncRecord> {
    return this.byNode.get(node)?.values() ?? [];
  }

  get size(): number {
    let n = 0;
    for (const records of this.byNode.values()) n += records.size;
    return n;
  }
}
