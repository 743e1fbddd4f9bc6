/**
 * EMBEDDED CONTROL PLANE ONLY. EdgeController's upstream handlers (protocol.md §3.4) against the
 * embedded store, with the response shapes a real CloudCore sends (§8, probe-findings).
 */
import {
  contentAsObject,
  statusError,
  type BeehiveMessage,
  type KubeStatus,
} from '../../protocol/message.js';
import { parseResourcePath } from '../../protocol/path.js';
import { ApiStatusError, type KubeObject, type ObjectStore } from '../apiserver/store-api.js';

export interface UpstreamReply {
  content: unknown;
  resourceVersion?: string;
}

export interface UpstreamContext {
  store: ObjectStore;
  nodeId: string;
  advertiseAddress: string;
  caPem: string;
}

function errPayload(err: unknown): { ErrStatus: KubeStatus } {
  if (err instanceof ApiStatusError) {
    const s = err.status;
    return {
      ErrStatus: {
        metadata: {},
        status: 'Failure',
        message: s.message,
        reason: s.reason,
        details: s.details,
        code: s.code,
      },
    };
  }
  return statusError('InternalError', 500, err instanceof Error ? err.message : String(err));
}

function stripTypeMeta(obj: KubeObject): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/** Returns the reply to send, or undefined for messages CloudCore does not answer. */
export function handleUpstream(
  ctx: UpstreamContext,
  msg: BeehiveMessage,
): UpstreamReply | undefined {
  const path = parseResourcePath(msg.route.resource ?? '');
  if (!path) return undefined;
  const op = msg.route.operation;
  const { store } = ctx;
  const name = path.name ?? '';
  switch (path.type) {
    case 'node':
      return handleNode(ctx, op, name, msg.content);
    case 'nodepatch': {
      if (op !== 'patch') return undefined;
      try {
        const node = store.patch('nodes', undefined, name, 'strategic', parseContent(msg.content), {
          subresource: 'status',
        });
        return {
          content: { Object: node, Err: null },
          resourceVersion: node.metadata.resourceVersion,
        };
      } catch (err) {
        return { content: { Object: null, Err: errPayload(err) } };
      }
    }
    case 'lease':
      return handleLease(store, op, path.namespace, name, msg.content);
    case 'podpatch': {
      if (op !== 'patch') return undefined;
      try {
        const patch = parseContent(msg.content) as { metadata?: { uid?: string } };
        const current = store.get('pods', path.namespace, name);
        if (patch.metadata?.uid && patch.metadata.uid !== current.metadata.uid) {
          throw new ApiStatusError({
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            reason: 'Conflict',
            code: 409,
            message: `Operation cannot be fulfilled on pods "${name}": Precondition failed: UID in precondition: ${patch.metadata.uid}, UID in object meta: ${current.metadata.uid}`,
          });
        }
        const pod = store.patch(
          'pods',
          path.namespace,
          name,
          'strategic',
          { status: (patch as { status?: unknown }).status ?? {} },
          { subresource: 'status' },
        );
        return {
          content: { Object: pod, Err: null },
          resourceVersion: pod.metadata.resourceVersion,
        };
      } catch (err) {
        return { content: { Object: null, Err: errPayload(err) } };
      }
    }
    case 'pod':
      return handlePod(store, op, path.namespace, name, msg.content);
    case 'configmap':
    case 'secret': {
      if (op !== 'query') return undefined;
      const resource = path.type === 'configmap' ? 'configmaps' : 'secrets';
      try {
        const obj = store.get(resource, path.namespace, name);
        return { content: obj, resourceVersion: obj.metadata.resourceVersion };
      } catch (err) {
        return { content: errPayload(err) };
      }
    }
    default:
      return undefined;
  }
}

function parseContent(content: unknown): unknown {
  const parsed = contentAsObject<unknown>(content);
  if (parsed === undefined)
    throw new ApiStatusError({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      reason: 'BadRequest',
      code: 400,
      message: 'content is not a JSON object',
    });
  return parsed;
}

function handleNode(
  ctx: UpstreamContext,
  op: string | undefined,
  name: string,
  content: unknown,
): UpstreamReply | undefined {
  const { store } = ctx;
  if (op === 'insert') {
    const submitted = contentAsObject<KubeObject>(content);
    if (!submitted)
      return {
        content: {
          Object: null,
          Err: statusError('BadRequest', 400, 'node content is not an object'),
        },
      };
    try {
      const node = structuredClone(submitted);
      node.metadata = {
        ...(node.metadata ?? {}),
        name,
        annotations: { ...(node.metadata?.annotations ?? {}), cloudcore: ctx.advertiseAddress },
      };
      const created = store.create('nodes', node);
      // The registration response carries no header resourceVersion and no type meta (probe-findings).
      return { content: { Object: stripTypeMeta(created), Err: null } };
    } catch (err) {
      // AlreadyExists comes back with the submitted node, which has no uid (probe-findings §3.5).
      return { content: { Object: submitted, Err: errPayload(err) } };
    }
  }
  if (op === 'query') {
    try {
      const node = store.get('nodes', undefined, name);
      return { content: node, resourceVersion: node.metadata.resourceVersion };
    } catch (err) {
      return { content: errPayload(err) };
    }
  }
  if (op === 'update') {
    try {
      const submitted = contentAsObject<KubeObject>(content);
      const node = store.patch('nodes', undefined, name, 'merge', {
        metadata: {
          labels: submitted?.metadata?.labels ?? {},
          annotations: submitted?.metadata?.annotations ?? {},
        },
      });
      return { content: 'OK', resourceVersion: node.metadata.resourceVersion };
    } catch (err) {
      return { content: errPayload(err) };
    }
  }
  return undefined;
}

function handleLease(
  store: ObjectStore,
  op: string | undefined,
  namespace: string | undefined,
  name: string,
  content: unknown,
): UpstreamReply | undefined {
  try {
    if (op === 'query')
      return { content: { Object: store.get('leases', namespace, name), Err: null } };
    const lease = contentAsObject<KubeObject>(content);
    if (!lease)
      return {
        content: {
          Object: null,
          Err: statusError('BadRequest', 400, 'lease content is not an object'),
        },
      };
    lease.metadata = { ...(lease.metadata ?? {}), name, namespace };
    if (op === 'insert') return { content: { Object: store.create('leases', lease), Err: null } };
    if (op === 'update') return { content: { Object: store.update('leases', lease), Err: null } };
    return undefined;
  } catch (err) {
    return { content: { Object: null, Err: errPayload(err) } };
  }
}

function handlePod(
  store: ObjectStore,
  op: string | undefined,
  namespace: string | undefined,
  name: string,
  content: unknown,
): UpstreamReply | undefined {
  if (op === 'delete') {
    let uid: string | undefined;
    let grace = 0;
    if (typeof content === 'string') {
      uid = content; // legacy: a bare pod UID
    } else {
      const opts = contentAsObject<{
        gracePeriodSeconds?: number;
        preconditions?: { uid?: string };
      }>(content);
      uid = opts?.preconditions?.uid;
      grace = opts?.gracePeriodSeconds ?? 0;
    }
    try {
      store.delete('pods', namespace, name, {
        gracePeriodSeconds: grace,
        preconditions: uid ? { uid } : undefined,
      });
    } catch (err) {
      // NotFound and a UID mismatch both mean the pod this node ran is gone: success (upstream.go).
      if (!(err instanceof ApiStatusError) || (err.code !== 404 && err.code !== 409))
        return { content: errPayload(err) };
    }
    return { content: 'OK' };
  }
  if (op === 'insert') {
    try {
      const pod = contentAsObject<KubeObject>(content);
      if (!pod) throw new Error('pod content is not an object');
      pod.metadata = { ...(pod.metadata ?? {}), name, namespace };
      return { content: { Object: store.create('pods', pod), Err: null } };
    } catch (err) {
      return { content: { Object: null, Err: errPayload(err) } };
    }
  }
  return undefined;
}
