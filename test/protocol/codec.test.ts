import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, FrameDecodeError } from '../../src/protocol/codec.js';
import {
  asObjectResponse,
  buildAck,
  buildKeepalive,
  buildRequest,
  isResponse,
  needsAck,
  type BeehiveMessage,
} from '../../src/protocol/message.js';
import { buildResourcePath, parseResourcePath } from '../../src/protocol/path.js';

// Golden messages shaped as protocol.md §8 shows them.
const keepalive =
  '{"header":{"msg_id":"7c1e","timestamp":1786010400000},"route":{"source":"websocket","group":"resource","operation":"keepalive","resource":"node"},"content":"ping"}';
const nodeInsertResponse =
  '{"header":{"msg_id":"c9d2","parent_msg_id":"a1f0","timestamp":1786010400180},"route":{"source":"edgecontroller","group":"resource","operation":"response","resource":"null/node/hollow-00001"},"content":{"Object":{"kind":"Node","apiVersion":"v1","metadata":{"name":"hollow-00001","uid":"5b8e","resourceVersion":"812345"}},"Err":null}}\n';
const alreadyExists =
  '{"header":{"msg_id":"c9d3","parent_msg_id":"a1f1","timestamp":1},"route":{"source":"edgecontroller","group":"resource","operation":"response","resource":"null/node/hollow-00001"},"content":{"Object":{"metadata":{"name":"hollow-00001"}},"Err":{"ErrStatus":{"metadata":{},"status":"Failure","message":"nodes \\"hollow-00001\\" already exists","reason":"AlreadyExists","details":{"name":"hollow-00001","kind":"nodes"},"code":409}}}}';
const podPush =
  '{"header":{"msg_id":"f7c8","timestamp":1786010500000,"resourceversion":"813001"},"route":{"source":"edgecontroller","group":"resource","operation":"update","resource":"test-ns-1/pod/latency-pod-0"},"content":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"latency-pod-0","namespace":"test-ns-1","uid":"0d2c","resourceVersion":"813001"},"spec":{"nodeName":"hollow-00001","containers":[{"name":"c","image":"registry.k8s.io/pause:3.10"}]},"status":{"phase":"Pending"}}}\n';
const podpatchResponse =
  '{"header":{"msg_id":"1c2e","parent_msg_id":"1c2d","timestamp":1,"resourceversion":"813005"},"route":{"source":"edgecontroller","group":"resource","operation":"response","resource":"test-ns-1/podpatch/latency-pod-0"},"content":{"Object":{"metadata":{"name":"latency-pod-0"}},"Err":null}}';
const deleteResponse =
  '{"header":{"msg_id":"3f40","parent_msg_id":"2e3f","timestamp":1786010900040},"route":{"source":"edgecontroller","group":"resource","operation":"response","resource":"test-ns-1/pod/latency-pod-0"},"content":"OK"}';

describe('codec', () => {
  it('decodes the §8 examples, trailing newline included, and re-encodes them losslessly', () => {
    for (const text of [
      keepalive,
      nodeInsertResponse,
      alreadyExists,
      podPush,
      podpatchResponse,
      deleteResponse,
    ]) {
      const msg = decodeMessage(text);
      expect(JSON.parse(encodeMessage(msg))).toEqual(JSON.parse(text));
    }
    const push = decodeMessage(Buffer.from(podPush));
    expect(push.route.operation).toBe('update');
    expect(push.header.resourceversion).toBe('813001');
    expect((push.content as { metadata: { uid: string } }).metadata.uid).toBe('0d2c');
  });

  it('accepts binary frames and reads only the first of two documents in a frame, as viaduct does', () => {
    const two = `${keepalive}\n${deleteResponse}`;
    expect(decodeMessage(Buffer.from(two)).route.operation).toBe('keepalive');
    expect(
      decodeMessage(new Uint8Array(Buffer.from(keepalive)).buffer as ArrayBuffer).content,
    ).toBe('ping');
    expect(
      decodeMessage([Buffer.from(keepalive.slice(0, 10)), Buffer.from(keepalive.slice(10))]).route
        .resource,
    ).toBe('node');
  });

  it.each([
    ['', 'empty'],
    ['not json', 'not-json'],
    ['[1,2]', 'not-object'],
    ['{"route":{}}', 'no-header'],
    ['{"header":{}}', 'no-route'],
    ['{"header":{"msg_id":5},"route":{}}', 'bad-msg-id'],
    ['{"header":{},"route":{"operation":7}}', 'no-route'],
  ])('rejects %j as %s', (text, kind) => {
    try {
      decodeMessage(text);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(FrameDecodeError);
      expect((err as FrameDecodeError).kind).toBe(kind);
      expect((err as FrameDecodeError).code).toBe('HF_PROTOCOL_FRAME');
    }
  });
});

describe('message builders', () => {
  it('builds the keepalive of §8.1 and requests with source edged, group meta', () => {
    const k = buildKeepalive(() => 42);
    expect(k.route).toEqual({
      source: 'websocket',
      group: 'resource',
      resource: 'node',
      operation: 'keepalive',
    });
    expect(k.content).toBe('ping');
    expect(k.header.timestamp).toBe(42);
    expect(k.header.msg_id).toMatch(/^[0-9a-f-]{36}$/);
    const r = buildRequest('insert', 'null/node/n1', { metadata: { name: 'n1' } });
    expect(r.route).toEqual({
      source: 'edged',
      group: 'meta',
      operation: 'insert',
      resource: 'null/node/n1',
    });
    expect(r.header.parent_msg_id).toBeUndefined();
    expect(() => buildRequest('ping' as 'insert', 'x/y', null)).toThrow(/reserved/);
  });

  it('acks copy source, group and resource and point at the pushed message (§8.6)', () => {
    const ack = buildAck(decodeMessage(podPush));
    expect(ack.header.parent_msg_id).toBe('f7c8');
    expect(ack.route).toEqual({
      source: 'edgecontroller',
      group: 'resource',
      operation: 'response',
      resource: 'test-ns-1/pod/latency-pod-0',
    });
    expect(ack.content).toBe('OK');
  });

  it('knows which downstream messages need an ack', () => {
    const cases: Array<[string, boolean]> = [
      [podPush, true],
      [nodeInsertResponse, false],
      [podpatchResponse, true], // an RV and an object: harmless extra ack (probe-findings)
      [deleteResponse, false],
      [keepalive, false],
    ];
    for (const [text, expected] of cases)
      expect(needsAck(decodeMessage(text)), text).toBe(expected);
    const del: BeehiveMessage = {
      ...decodeMessage(podPush),
      route: { ...decodeMessage(podPush).route, operation: 'delete' },
    };
    expect(needsAck(del)).toBe(true);
    expect(isResponse(decodeMessage(deleteResponse))).toBe(true);
  });

  it('reads ObjectResp contents whether sent as an object or as a JSON string', () => {
    const resp = asObjectResponse(decodeMessage(alreadyExists).content);
    expect(resp?.Err?.ErrStatus.reason).toBe('AlreadyExists');
    expect(asObjectResponse(JSON.stringify({ Object: { a: 1 }, Err: null }))?.Object).toEqual({
      a: 1,
    });
    expect(asObjectResponse('OK')).toBeUndefined();
  });
});

describe('resource paths', () => {
  it('builds and parses <ns>/<type>/<name> with null for cluster scope', () => {
    expect(buildResourcePath(undefined, 'node', 'n1')).toBe('null/node/n1');
    expect(buildResourcePath('kube-node-lease', 'lease', 'n1')).toBe('kube-node-lease/lease/n1');
    expect(parseResourcePath('null/node/n1')).toEqual({
      namespace: undefined,
      type: 'node',
      name: 'n1',
    });
    expect(parseResourcePath('test-ns-1/podpatch/p')).toEqual({
      namespace: 'test-ns-1',
      type: 'podpatch',
      name: 'p',
    });
    expect(parseResourcePath('default/podstatus')).toEqual({
      namespace: 'default',
      type: 'podstatus',
      name: undefined,
    });
    expect(parseResourcePath('node')).toBeUndefined();
    expect(parseResourcePath('/x')).toBeUndefined();
  });
});
