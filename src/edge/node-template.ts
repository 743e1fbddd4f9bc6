import { EDGE_ROLE_LABEL, type NodeProfile } from './profile.js';

/**
 * The Node document a hollow node registers with (protocol.md §4.3, §8.2), built from a template
 * shared by every node of a profile: only the name, hostname label, addresses and machine ids differ.
 */
export class NodeTemplate {
  readonly labels: Readonly<Record<string, string>>;

  constructor(readonly profile: NodeProfile) {
    this.labels = {
      'kubernetes.io/os': profile.operatingSystem,
      'kubernetes.io/arch': profile.architecture,
      'beta.kubernetes.io/os': profile.operatingSystem,
      'beta.kubernetes.io/arch': profile.architecture,
      [EDGE_ROLE_LABEL]: '',
      'node-role.kubernetes.io/agent': '',
      ...profile.labels,
    };
  }

  conditions(nowIso: string, transitionIso: string, ready: boolean): Array<Record<string, string>> {
    return [
      condition(
        'MemoryPressure',
        'False',
        'KubeletHasSufficientMemory',
        'kubelet has sufficient memory available',
        nowIso,
        transitionIso,
      ),
      condition(
        'DiskPressure',
        'False',
        'KubeletHasNoDiskPressure',
        'kubelet has no disk pressure',
        nowIso,
        transitionIso,
      ),
      condition(
        'PIDPressure',
        'False',
        'KubeletHasSufficientPID',
        'kubelet has sufficient PID available',
        nowIso,
        transitionIso,
      ),
      ready
        ? condition(
            'Ready',
            'True',
            'KubeletReady',
            'kubelet is posting ready status',
            nowIso,
            transitionIso,
          )
        : condition(
            'Ready',
            'False',
            'KubeletNotReady',
            'container runtime is down',
            nowIso,
            transitionIso,
          ),
    ];
  }

  build(name: string, hostIp: string, nowIso: string): Record<string, unknown> {
    const p = this.profile;
    const spec: Record<string, unknown> = {};
    if (p.taints.length > 0) spec.taints = p.taints.map((t) => ({ ...t }));
    return {
      metadata: { name, labels: { ...this.labels, 'kubernetes.io/hostname': name } },
      spec,
      status: {
        capacity: { ...p.capacity },
        allocatable: { ...p.allocatable },
        conditions: this.conditions(nowIso, nowIso, true),
        addresses: [
          { type: 'InternalIP', address: hostIp },
          { type: 'Hostname', address: name },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: 10350 } },
        nodeInfo: {
          machineID: name,
          systemUUID: name,
          bootID: 'hollow',
          kernelVersion: '6.1.0-hollow',
          osImage: 'Hollow EdgeCore (hollowfleet)',
          containerRuntimeVersion: 'remote://1.0.0',
          kubeletVersion: p.kubeletVersion,
          kubeProxyVersion: '',
          operatingSystem: p.operatingSystem,
          architecture: p.architecture,
        },
      },
    };
  }

  /** The `nodepatch` content: a strategic-merge patch of the conditions, as a JSON string. */
  readyPatch(nowIso: string, transitionIso: string): string {
    return JSON.stringify({ status: { conditions: this.conditions(nowIso, transitionIso, true) } });
  }
}

function condition(
  type: string,
  status: string,
  reason: string,
  message: string,
  heartbeat: string,
  transition: string,
) {
  return {
    type,
    status,
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: transition,
    reason,
    message,
  };
}

/** Host IPs from 100.64.0.0/10, one per global node index (unique up to 4M nodes). */
export function hostIpFor(index: number): string {
  const n = (index + 1) % 0x400000;
  return `100.${64 + (n >>> 16)}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Pod IPs from 10.0.0.0/8: 128 per node index, unique for the first 131,072 nodes of a fleet. */
export function podIpFor(nodeIndex: number, podSlot: number): string {
  const n = ((nodeIndex % 131_072) * 128 + (podSlot % 128)) % 0x1000000;
  return `10.${n >>> 16}.${(n >>> 8) & 255}.${n & 255}`;
}

/** RFC 3339 with seconds, as the API server stores times. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3339 with microseconds, as the kubelet writes lease renewTime. */
export function isoMicros(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
