import { describe, expect, it } from 'vitest';
import { isSchedulableForCl2, type NodeLike } from '../../src/kube/nodes.js';

const ready = { conditions: [{ type: 'Ready', status: 'True' }] };

describe('CL2 node counting', () => {
  it('counts Ready, schedulable nodes, including ones with custom edge taints', () => {
    const nodes: Record<string, NodeLike> = {
      plain: { status: ready },
      edgeTaint: {
        status: ready,
        spec: { taints: [{ key: 'node-role.kubernetes.io/edge', effect: 'NoSchedule' }] },
      },
      preferNoSchedule: {
        status: ready,
        spec: { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'PreferNoSchedule' }] },
      },
    };
    for (const [name, node] of Object.entries(nodes))
      expect(isSchedulableForCl2(node), name).toBe(true);
  });

  it('leaves out NotReady, cordoned, network-unavailable and built-in-tainted nodes', () => {
    const nodes: Record<string, NodeLike> = {
      notReady: { status: { conditions: [{ type: 'Ready', status: 'False' }] } },
      noConditions: {},
      cordoned: { status: ready, spec: { unschedulable: true } },
      network: {
        status: {
          conditions: [...ready.conditions, { type: 'NetworkUnavailable', status: 'True' }],
        },
      },
      unreachable: {
        status: ready,
        spec: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] },
      },
      uninitialized: {
        status: ready,
        spec: {
          taints: [{ key: 'node.cloudprovider.kubernetes.io/uninitialized', effect: 'NoSchedule' }],
        },
      },
    };
    for (const [name, node] of Object.entries(nodes))
      expect(isSchedulableForCl2(node), name).toBe(false);
  });
});
