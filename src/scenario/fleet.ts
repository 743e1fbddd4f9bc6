/**
 * hollowfleet's one extension to the CL2 config: an optional top-level `fleet:` section that
 * describes the local hollow fleet the scenario wants. CL2 ignores unknown top-level fields, so a
 * scenario with `fleet:` still runs under CL2 unchanged.
 *
 * ```yaml
 * fleet:
 *   nodes: 100                      # default: {{.Nodes}}
 *   prefix: hollow                  # node names <prefix>-<shard>-<index>
 *   labels: {edge-zone: a}
 *   taints: [{key: edge, value: "true", effect: NoSchedule}]
 *   capacity: {cpu: "4", memory: 8Gi, pods: "110"}
 *   podStartDelay: uniform:100ms-2s  # constant:500ms | uniform:A-B | normal:MEAN,SD | lognormal:MEDIAN,SIGMA
 *   failures: {neverStart: 0.01, crashLoop: 0, failReadiness: 0.02}
 *   intervals: {heartbeat: 15s, lease: 10s, status: 5m, jitter: 0.1}
 * ```
 */
import { ConfigError } from '../common/errors.js';
import {
  parseStartDelay,
  resolveNodeProfile,
  type NodeProfile,
  type NodeProfileInput,
  type Taint,
} from '../edge/profile.js';
import { validatePrefix } from '../fleet/naming.js';
import { Decoder, type ValidationIssue } from './config.js';

export interface FleetSpec {
  nodes: number;
  prefix: string;
  profile: NodeProfile;
}

export const DEFAULT_FLEET_PREFIX = 'hollow';

/** Resolves the raw `fleet:` section; problems are returned with `fleet.`-prefixed paths. */
export function resolveFleetSection(
  raw: Record<string, unknown>,
  defaultNodes: number,
): { fleet?: FleetSpec; issues: ValidationIssue[] } {
  const d = new Decoder();
  const f = d.fields(raw, 'fleet', [
    'nodes',
    'prefix',
    'labels',
    'taints',
    'capacity',
    'podStartDelay',
    'failures',
    'intervals',
  ]);
  const nodes = d.int(f.get('nodes'), 'fleet.nodes') ?? defaultNodes;
  if (nodes < 0) d.problem('fleet.nodes', `must be ≥ 0, got ${nodes}`, 'fleet');
  const prefix = d.string(f.get('prefix'), 'fleet.prefix') ?? DEFAULT_FLEET_PREFIX;
  try {
    validatePrefix(prefix);
  } catch (err) {
    d.problem('fleet.prefix', (err as Error).message.replace(/^--prefix /, ''), 'fleet');
  }

  const input: NodeProfileInput = {};
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.map(f.get('labels'), 'fleet.labels')))
    labels[k] = typeof v === 'string' ? v : String(v);
  if (Object.keys(labels).length > 0) input.labels = labels;

  const taints = d.list(f.get('taints'), 'fleet.taints');
  if (taints)
    input.taints = taints.map((t, i) => {
      const tf = d.fields(t, `fleet.taints[${i}]`, ['key', 'value', 'effect']);
      const taint: Taint = {
        key: d.string(tf.get('key'), `fleet.taints[${i}].key`) ?? '',
        effect: (d.string(tf.get('effect'), `fleet.taints[${i}].effect`) ?? '') as Taint['effect'],
      };
      const value = d.string(tf.get('value'), `fleet.taints[${i}].value`);
      if (value !== undefined) taint.value = value;
      return taint;
    });

  const capacity: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.map(f.get('capacity'), 'fleet.capacity')))
    capacity[k] = String(v);
  if (Object.keys(capacity).length > 0) input.capacity = capacity;

  const delay = d.string(f.get('podStartDelay'), 'fleet.podStartDelay');
  if (delay !== undefined) {
    try {
      input.startDelay = parseStartDelay(delay);
    } catch (err) {
      d.problem(
        'fleet.podStartDelay',
        (err as Error).message.replace(/^--pod-start-delay /, ''),
        'fleet',
      );
    }
  }

  const failures = d.fields(f.get('failures'), 'fleet.failures', [
    'neverStart',
    'crashLoop',
    'failReadiness',
  ]);
  if (failures.size > 0) {
    input.failures = {};
    for (const [k, v] of failures) {
      const n = d.float(v, `fleet.failures.${k}`);
      if (n !== undefined) input.failures[k as 'neverStart'] = n;
    }
  }

  const intervals = d.fields(f.get('intervals'), 'fleet.intervals', [
    'heartbeat',
    'lease',
    'status',
    'jitter',
  ]);
  if (intervals.size > 0) {
    input.intervals = {};
    const heartbeat = d.duration(intervals.get('heartbeat'), 'fleet.intervals.heartbeat');
    if (heartbeat !== undefined) input.intervals.keepaliveMs = heartbeat;
    const lease = d.duration(intervals.get('lease'), 'fleet.intervals.lease');
    if (lease !== undefined) input.intervals.leaseMs = lease;
    const status = d.duration(intervals.get('status'), 'fleet.intervals.status');
    if (status !== undefined) input.intervals.statusReportMs = status;
    const jitter = d.float(intervals.get('jitter'), 'fleet.intervals.jitter');
    if (jitter !== undefined) input.intervals.jitter = jitter;
  }

  let profile: NodeProfile | undefined;
  try {
    profile = resolveNodeProfile(input, 'fleet');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // resolveNodeProfile joins its problems with '; ' after 'fleet: '; map its field names back
    // to this section's names.
    // Problems are joined with '; ', which a problem's own text may contain: glue back the
    // pieces that do not start with a field name.
    const problems: string[] = [];
    for (const piece of err.message.replace(/^fleet: /, '').split('; ')) {
      if (problems.length > 0 && !PROFILE_FIELDS.some(([re]) => re.test(piece)))
        problems[problems.length - 1] += `; ${piece}`;
      else problems.push(piece);
    }
    for (const problem of problems) {
      const located = locateProfileProblem(problem);
      d.problem(located.path, located.message, 'fleet');
    }
  }
  const issues = d.issues.map((i) => ({ ...i, code: i.code === 'decode' ? 'fleet' : i.code }));
  if (issues.length > 0 || !profile) return { issues };
  return { fleet: { nodes, prefix, profile }, issues };
}

const PROFILE_FIELDS: Array<[RegExp, string]> = [
  [/^intervals\.keepaliveMs/, 'fleet.intervals.heartbeat'],
  [/^intervals\.leaseMs/, 'fleet.intervals.lease'],
  [/^intervals\.statusReportMs/, 'fleet.intervals.status'],
  [/^intervals\.jitter/, 'fleet.intervals.jitter'],
  [/^failures\.(\w+)/, 'fleet.failures.$1'],
  [/^(?=failures add up)/, 'fleet.failures'],
  [/^startDelay/, 'fleet.podStartDelay'],
  [/^taints\[(\d+)\]/, 'fleet.taints[$1]'],
];

function locateProfileProblem(problem: string): { path: string; message: string } {
  for (const [re, path] of PROFILE_FIELDS) {
    const m = re.exec(problem);
    if (m)
      return {
        path: m[0] === '' ? path : m[0].replace(re, path),
        message: problem.slice(m[0].length).replace(/^[:\s]+/, '') || problem,
      };
  }
  return { path: 'fleet', message: problem };
}
