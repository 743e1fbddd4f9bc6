/**
 * EMBEDDED CONTROL PLANE ONLY. An HTTPS front end with kube-apiserver's REST conventions over the
 * in-memory store: discovery, CRUD with the three patch formats and apply, list with selectors and
 * pagination, chunked watch streams, Status errors and `/metrics`. kubectl and
 * @kubernetes/client-node talk to it as they would to kube-apiserver.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { parse as parseYaml } from 'yaml';
import { LoopbackHttpsServer } from '../https-server.js';
import type { CertificateAuthority } from '../pki.js';
import { errors } from './errors.js';
import { ApiServerMetrics } from './metrics.js';
import { apiVersionOf, RESOURCES, resourceInfoIn, type ResourceInfo } from './resources.js';
import type { MemoryObjectStore } from './store.js';
import {
  ApiStatusError,
  type DeleteOptions,
  type KubeObject,
  type PatchType,
  type WatchEvent,
} from './store-api.js';
import { toTable, wantsTable } from './table.js';

const MAX_BODY = 3 * 1024 * 1024;
export const EMBEDDED_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-hollowfleet-embedded',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export interface ApiServerOptions {
  store: MemoryObjectStore;
  ca: CertificateAuthority;
  host?: string;
  port?: number;
  /** Bearer tokens accepted besides client certificates signed by the CA. */
  tokens?: Set<string>;
  /** Extra handler for tests: artificial latency per request (ms). */
  latencyMs?: number;
}

interface Route {
  info: ResourceInfo;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  legacyWatch: boolean;
}

class HttpError extends Error {
  constructor(readonly apiError: ApiStatusError) {
    super(apiError.message);
  }
}

export class EmbeddedApiServer {
  readonly metrics = new ApiServerMetrics();
  private readonly listener: LoopbackHttpsServer;
  private readonly watchStops = new Set<() => void>();
  requests = 0;

  constructor(private readonly opts: ApiServerOptions) {
    this.listener = new LoopbackHttpsServer(opts.ca, opts.host, opts.port);
  }

  get port(): number {
    return this.listener.port;
  }

  get url(): string {
    return this.listener.url;
  }

  async start(): Promise<void> {
    await this.listener.listen((req, res) => void this.handle(req, res));
  }

  async close(): Promise<void> {
    this.dropWatches();
    await this.listener.close();
  }

  /** Ends every open watch stream, as an API server restart or a load balancer would. */
  dropWatches(): void {
    for (const stop of [...this.watchStops]) stop();
  }

  private authenticated(req: IncomingMessage): boolean {
    const socket = req.socket as TLSSocket;
    if (socket.authorized) return true;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && this.opts.tokens?.has(auth.slice(7).trim())) return true;
    return false;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'https://embedded');
    let labels = {
      verb: req.method ?? 'GET',
      group: '',
      version: '',
      resource: '',
      subresource: '',
      scope: '',
    };
    let code = 200;
    try {
      if (!this.authenticated(req)) throw errors.unauthorized();
      if (this.opts.latencyMs) await new Promise((r) => setTimeout(r, this.opts.latencyMs));
      const path = url.pathname.replace(/\/+$/, '') || '/';
      const special = await this.special(path, req, res);
      if (special) return;
      const route = this.route(path);
      if (!route) throw errors.notFoundPlain('the server could not find the requested resource');
      labels = this.labels(req, url, route);
      code = await this.resource(route, req, res, url, labels.verb);
    } catch (err) {
      const apiErr =
        err instanceof HttpError
          ? err.apiError
          : err instanceof ApiStatusError
            ? err
            : errors.internal(err instanceof Error ? err.message : String(err));
      code = apiErr.code;
      if (!res.headersSent) sendJson(res, apiErr.code, apiErr.status);
      else res.end();
    } finally {
      if (labels.resource) {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (labels.verb === 'WATCH')
          res.once('close', () =>
            this.metrics.observe(
              { ...labels, code },
              Number(process.hrtime.bigint() - started) / 1e9,
            ),
          );
        else this.metrics.observe({ ...labels, code }, seconds);
      }
    }
  }

  private async special(path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (req.method !== 'GET') return false;
    switch (path) {
      case '/version':
        sendJson(res, 200, EMBEDDED_VERSION);
        return true;
      case '/healthz':
      case '/readyz':
      case '/livez':
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
        return true;
      case '/metrics':
        res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType });
        res.end(await this.metrics.text());
        return true;
      case '/api':
        sendJson(res, 200, {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
        });
        return true;
      case '/apis':
        sendJson(res, 200, groupList());
        return true;
    }
    if (path === '/api/v1') {
      sendJson(res, 200, resourceList('', 'v1'));
      return true;
    }
    const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (m) {
      const group = m[1]!;
      const groupInfo = groupList().groups.find((g) => g.name === group);
      if (!groupInfo)
        throw errors.notFoundPlain('the server could not find the requested resource');
      if (!m[2]) sendJson(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...groupInfo });
      else sendJson(res, 200, resourceList(group, m[2]));
      return true;
    }
    if (path === '/openapi/v3') {
      sendJson(res, 200, openApiRoot());
      return true;
    }
    const oa = /^\/openapi\/v3\/(api\/v1|apis\/[^/]+\/[^/]+)$/.exec(path);
    if (oa) {
      sendJson(res, 200, openApiGroupVersion(oa[1]!));
      return true;
    }
    if (path.startsWith('/openapi'))
      throw errors.notFoundPlain('the server could not find the requested resource');
    const proxy = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/proxy(\/.*)?$/.exec(path);
    if (proxy) {
      await this.proxyToPod(
        decodeURIComponent(proxy[1]!),
        decodeURIComponent(proxy[2]!),
        proxy[3] ?? '/',
        req,
        res,
      );
      return true;
    }
    return false;
  }

  /**
   * GET through the pod proxy, `pods/<name>[:<port>]/proxy/<path>`, to http://<podIP>:<port>, as
   * kube-apiserver does (plain HTTP only; the `https:` scheme prefix is not supported).
   */
  private async proxyToPod(
    namespace: string,
    nameAndPort: string,
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const [name, portText] = nameAndPort.split(':') as [string, string | undefined];
    const pod = this.opts.store.get('pods', namespace, name);
    const podIP = (pod.status as { podIP?: string } | undefined)?.podIP;
    const port = portText === undefined ? 80 : Number(portText);
    if (!podIP || !Number.isInteger(port) || port < 1 || port > 65535)
      throw errors.serviceUnavailable(
        `pod ${name} has no IP address or the port "${portText}" is invalid`,
      );
    const query = (req.url ?? '').includes('?')
      ? (req.url ?? '').slice((req.url ?? '').indexOf('?'))
      : '';
    await new Promise<void>((resolve) => {
      const upstream = http.get(
        { host: podIP, port, path: `${path}${query}`, timeout: 10_000 },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, {
            'Content-Type': answer.headers['content-type'] ?? 'application/octet-stream',
          });
          answer.pipe(res);
          answer.on('end', () => resolve());
          answer.on('error', () => resolve());
        },
      );
      upstream.on('timeout', () => upstream.destroy(new Error('timed out')));
      upstream.on('error', (err) => {
        if (!res.headersSent)
          sendJson(
            res,
            503,
            errors.serviceUnavailable(
              `error trying to reach service: dial tcp ${podIP}:${port}: ${err.message}`,
            ).status,
          );
        else res.end();
        resolve();
      });
    });
  }

  private route(path: string): Route | undefined {
    let parts = path
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    let group: string;
    let version: string;
    if (parts[0] === 'api') {
      group = '';
      version = parts[1] ?? '';
      parts = parts.slice(2);
    } else if (parts[0] === 'apis') {
      group = parts[1] ?? '';
      version = parts[2] ?? '';
      parts = parts.slice(3);
    } else return undefined;
    let legacyWatch = false;
    if (parts[0] === 'watch') {
      legacyWatch = true;
      parts = parts.slice(1);
    }
    let namespace: string | undefined;
    if (parts[0] === 'namespaces' && parts.length >= 3) {
      namespace = parts[1];
      parts = parts.slice(2);
    }
    const [plural, name, subresource] = parts;
    if (!plural) return undefined;
    const info = resourceInfoIn(group, plural);
    if (!info || info.version !== version) return undefined;
    if (subresource && !info.subresources.includes(subresource)) return undefined;
    return {
      info,
      namespace: info.namespaced ? namespace : undefined,
      name,
      subresource,
      legacyWatch,
    };
  }

  private labels(req: IncomingMessage, url: URL, route: Route) {
    const method = req.method ?? 'GET';
    let verb: string = method;
    const isWatch =
      route.legacyWatch ||
      url.searchParams.get('watch') === 'true' ||
      url.searchParams.get('watch') === '1';
    if (method === 'GET') verb = isWatch ? 'WATCH' : route.name ? 'GET' : 'LIST';
    else if (
      method === 'PATCH' &&
      (req.headers['content-type'] ?? '').startsWith('application/apply-patch')
    )
      verb = 'APPLY';
    else if (method === 'DELETE' && !route.name) verb = 'DELETECOLLECTION';
    const scope =
      route.name || method === 'POST' ? 'resource' : route.namespace ? 'namespace' : 'cluster';
    return {
      verb,
      group: route.info.group,
      version: route.info.version,
      resource: route.info.plural,
      subresource: route.subresource ?? '',
      scope,
    };
  }

  private async resource(
    route: Route,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    verb: string,
  ): Promise<number> {
    const store = this.opts.store;
    const { info, namespace, name, subresource } = route;
    const params = url.searchParams;
    switch (verb) {
      case 'WATCH':
        this.watch(route, req, res, url);
        return 200;
      case 'LIST': {
        const result = store.list(info.plural, {
          namespace,
          labelSelector: params.get('labelSelector') ?? undefined,
          fieldSelector: params.get('fieldSelector') ?? undefined,
          limit: params.has('limit') ? Number(params.get('limit')) : undefined,
          continue: params.get('continue') ?? undefined,
        });
        const meta: Record<string, unknown> = { resourceVersion: result.resourceVersion };
        if (result.continue) {
          meta.continue = result.continue;
          meta.remainingItemCount = result.remainingItemCount;
        }
        if (wantsTable(req.headers.accept))
          return sendJson(res, 200, toTable(info.plural, result.items, meta));
        return sendJson(res, 200, {
          kind: `${info.kind}List`,
          apiVersion: apiVersionOf(info),
          metadata: meta,
          items: result.items,
        });
      }
      case 'GET': {
        const obj =
          subresource === 'scale'
            ? store.getScale(info.plural, namespace ?? '', name!)
            : store.get(info.plural, namespace, name!);
        if (wantsTable(req.headers.accept) && !subresource)
          return sendJson(
            res,
            200,
            toTable(info.plural, [obj], { resourceVersion: obj.metadata.resourceVersion }),
          );
        return sendJson(res, 200, obj);
      }
      case 'POST': {
        const body = await readObject(req);
        if (subresource === 'binding') {
          const binding = {
            ...body,
            metadata: { ...(body.metadata ?? {}), name: name ?? body.metadata?.name, namespace },
          };
          return sendJson(res, 201, store.create('pods', binding, { subresource: 'binding' }));
        }
        if (name) throw errors.methodNotAllowed('POST is not allowed on a named resource');
        body.metadata ??= {};
        if (info.namespaced) {
          if (body.metadata.namespace && namespace && body.metadata.namespace !== namespace) {
            throw errors.badRequest(
              'the namespace of the provided object does not match the namespace sent on the request',
            );
          }
          body.metadata.namespace = namespace ?? body.metadata.namespace;
        }
        const dryRun = params.get('dryRun') === 'All';
        return sendJson(res, 201, store.create(info.plural, body, { dryRun }));
      }
      case 'PUT': {
        const body = await readObject(req);
        if (body.metadata?.name && body.metadata.name !== name)
          throw errors.badRequest('the name of the object does not match the name on the URL');
        body.metadata = { ...(body.metadata ?? {}), name, namespace };
        return sendJson(res, 200, store.update(info.plural, body, { subresource }));
      }
      case 'PATCH':
      case 'APPLY': {
        const raw = await readBody(req);
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
        if (verb === 'APPLY') {
          const applied = parseYaml(raw.toString('utf8')) as KubeObject;
          if (!applied || typeof applied !== 'object')
            throw errors.badRequest('the apply patch is not an object');
          return sendJson(
            res,
            200,
            store.apply(
              info.plural,
              namespace,
              name!,
              applied,
              params.get('fieldManager') ?? 'unknown',
            ),
          );
        }
        const patchType: PatchType | undefined =
          type === 'application/merge-patch+json'
            ? 'merge'
            : type === 'application/strategic-merge-patch+json'
              ? 'strategic'
              : type === 'application/json-patch+json'
                ? 'json'
                : undefined;
        if (!patchType) throw errors.unsupportedMediaType(type);
        const patch = parseJson(raw);
        return sendJson(
          res,
          200,
          store.patch(info.plural, namespace, name!, patchType, patch, { subresource }),
        );
      }
      case 'DELETE': {
        const raw = await readBody(req);
        const opts: DeleteOptions = raw.length > 0 ? (parseJson(raw) as DeleteOptions) : {};
        if (params.has('gracePeriodSeconds'))
          opts.gracePeriodSeconds = Number(params.get('gracePeriodSeconds'));
        if (params.has('propagationPolicy'))
          opts.propagationPolicy = params.get(
            'propagationPolicy',
          ) as DeleteOptions['propagationPolicy'];
        const deleted = store.delete(info.plural, namespace, name!, opts);
        // kube-apiserver answers 200 with the object while it is still being finalized, or a Success Status.
        if (deleted.metadata.deletionTimestamp && store.tryGet(info.plural, namespace, name!))
          return sendJson(res, 200, deleted);
        return sendJson(res, 200, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name, group: info.group, kind: info.plural, uid: deleted.metadata.uid },
        });
      }
      case 'DELETECOLLECTION': {
        const items = store.list(info.plural, {
          namespace,
          labelSelector: params.get('labelSelector') ?? undefined,
          fieldSelector: params.get('fieldSelector') ?? undefined,
        }).items;
        for (const item of items) {
          try {
            store.delete(info.plural, item.metadata.namespace, item.metadata.name!);
          } catch {
            // already gone
          }
        }
        return sendJson(res, 200, {
          kind: `${info.kind}List`,
          apiVersion: apiVersionOf(info),
          metadata: {},
          items,
        });
      }
      default:
        throw errors.methodNotAllowed(`${verb} is not supported`);
    }
  }

  private watch(route: Route, req: IncomingMessage, res: ServerResponse, url: URL): void {
    const params = url.searchParams;
    const options = {
      namespace: route.namespace,
      labelSelector: params.get('labelSelector') ?? undefined,
      fieldSelector:
        params.get('fieldSelector') ?? (route.name ? `metadata.name=${route.name}` : undefined),
      resourceVersion: params.get('resourceVersion') ?? undefined,
      allowWatchBookmarks: params.get('allowWatchBookmarks') === 'true',
    };
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache, private',
    });
    res.flushHeaders();
    const write = (event: WatchEvent) => {
      if (!res.writableEnded)
        res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
    };
    let watch: { stop(): void } | undefined;
    try {
      watch = this.opts.store.watch(route.info.plural, options, write);
    } catch (err) {
      if (err instanceof ApiStatusError) {
        // Like kube-apiserver: a 200 stream carrying one ERROR event with the 410 Status.
        res.end(`${JSON.stringify({ type: 'ERROR', object: err.status })}\n`);
        return;
      }
      throw err;
    }
    const timeoutSeconds = Number(params.get('timeoutSeconds') ?? '0');
    // kube-apiserver ends watches after a randomised 30–60 min; here 30 min unless asked.
    const timer = setTimeout(() => stop(), (timeoutSeconds > 0 ? timeoutSeconds : 1800) * 1000);
    timer.unref();
    const stop = () => {
      clearTimeout(timer);
      watch?.stop();
      this.watchStops.delete(stop);
      if (!res.writableEnded) res.end();
    };
    this.watchStops.add(stop);
    req.on('close', stop);
    res.on('close', stop);
  }
}

function groupList(): {
  kind: string;
  apiVersion: string;
  groups: Array<{
    name: string;
    versions: Array<{ groupVersion: string; version: string }>;
    preferredVersion: { groupVersion: string; version: string };
  }>;
} {
  const groups = new Map<string, string>();
  for (const info of RESOURCES) if (info.group !== '') groups.set(info.group, info.version);
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, version]) => {
      const gv = { groupVersion: `${name}/${version}`, version };
      return { name, versions: [gv], preferredVersion: gv };
    }),
  };
}

function resourceList(group: string, version: string): Record<string, unknown> {
  const resources: Array<Record<string, unknown>> = [];
  for (const info of RESOURCES) {
    if (info.group !== group || info.version !== version) continue;
    resources.push({
      name: info.plural,
      singularName: info.singular,
      namespaced: info.namespaced,
      kind: info.kind,
      verbs: info.verbs,
      shortNames: info.shortNames.length > 0 ? info.shortNames : undefined,
    });
    for (const sub of info.subresources) {
      resources.push({
        name: `${info.plural}/${sub}`,
        singularName: '',
        namespaced: info.namespaced,
        kind: sub === 'scale' ? 'Scale' : sub === 'binding' ? 'Binding' : info.kind,
        group: sub === 'scale' ? 'autoscaling' : undefined,
        version: sub === 'scale' ? 'v1' : undefined,
        verbs: sub === 'binding' ? ['create'] : ['get', 'patch', 'update'],
      });
    }
  }
  if (resources.length === 0)
    throw errors.notFoundPlain('the server could not find the requested resource');
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

/**
 * A minimal OpenAPI v3 index: enough for kubectl to see that every PATCH supports the
 * `fieldValidation` parameter, so it validates on the server instead of downloading schemas.
 * Schemas themselves are not served (kubectl falls back to its compiled-in types).
 */
function openApiRoot(): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const info of RESOURCES) {
    const gv = info.group === '' ? 'api/v1' : `apis/${info.group}/${info.version}`;
    paths[gv] = {
      serverRelativeURL: `/openapi/v3/${gv}?hash=${EMBEDDED_VERSION.gitCommit.slice(0, 16)}`,
    };
  }
  return { paths };
}

function openApiGroupVersion(gv: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const info of RESOURCES) {
    const own = info.group === '' ? 'api/v1' : `apis/${info.group}/${info.version}`;
    if (own !== gv) continue;
    const prefix = `/${gv}${info.namespaced ? '/namespaces/{namespace}' : ''}/${info.plural}/{name}`;
    const operation = {
      parameters: [
        { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
        { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
        { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
      ],
      responses: { '200': { description: 'OK' } },
      'x-kubernetes-action': 'patch',
      'x-kubernetes-group-version-kind': {
        group: info.group,
        version: info.version,
        kind: info.kind,
      },
    };
    paths[prefix] = { patch: operation };
  }
  if (Object.keys(paths).length === 0)
    throw errors.notFoundPlain('the server could not find the requested resource');
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: EMBEDDED_VERSION.gitVersion },
    paths,
    components: { schemas: {} },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): number {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
  return status;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(errors.tooLarge()));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw errors.badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

async function readObject(req: IncomingMessage): Promise<KubeObject> {
  const type = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim();
  if (type.includes('protobuf')) {
    throw new ApiStatusError({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      reason: 'UnsupportedMediaType',
      code: 415,
      message:
        "the embedded API server speaks JSON only, not protobuf; kubectl's typed `create <kind>` shortcuts send protobuf, so use `kubectl create -f` or `kubectl apply -f` with a manifest",
    });
  }
  const raw = await readBody(req);
  const value = type.includes('yaml')
    ? (parseYaml(raw.toString('utf8')) as unknown)
    : parseJson(raw);
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw errors.badRequest('the request body is not an object');
  return value as KubeObject;
}

export async function startApiServer(options: ApiServerOptions): Promise<EmbeddedApiServer> {
  const server = new EmbeddedApiServer(options);
  await server.start();
  return server;
}
