/**
 * JSON Schema of summary.json (schema 2), checked when a summary is read back (`compare`,
 * `report`), so a truncated or hand-edited file is rejected with the path of what is wrong instead
 * of failing somewhere in a chart.
 */
import { SUMMARY_SCHEMA } from './model.js';

const str = { type: 'string' } as const;
const num = { type: 'number' } as const;
const encodedHistogram = {
  type: 'object',
  required: ['schema', 'unit', 'data'],
  properties: { schema: num, unit: { const: 'us' }, data: str },
} as const;
const histogramMap = { type: 'object', additionalProperties: encodedHistogram } as const;
const numberMap = { type: 'object', additionalProperties: num } as const;

const verdict = {
  type: 'object',
  required: [
    'metric',
    'observed',
    'threshold',
    'comparator',
    'unit',
    'samples',
    'method',
    'pass',
    'enforced',
  ],
  properties: {
    metric: str,
    observed: num,
    threshold: num,
    comparator: { enum: ['<=', '>='] },
    unit: { enum: ['ms', 's', 'pods/s', 'count', 'nodes', '%'] },
    samples: num,
    method: str,
    pass: { type: 'boolean' },
    enforced: { type: 'boolean' },
  },
} as const;

const data = {
  type: 'object',
  required: ['kind'],
  properties: {
    kind: {
      enum: ['podStartup', 'apiLatency', 'schedulingThroughput', 'histograms', 'gate', 'none'],
    },
  },
  allOf: [
    {
      if: { properties: { kind: { const: 'podStartup' } } },
      then: {
        required: ['transitions'],
        properties: {
          transitions: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              required: ['Perc50', 'Perc90', 'Perc99', 'samples'],
              properties: { Perc50: num, Perc90: num, Perc99: num, samples: num },
            },
          },
          histograms: histogramMap,
        },
      },
    },
    {
      if: { properties: { kind: { const: 'apiLatency' } } },
      then: {
        required: ['metricName', 'items'],
        properties: {
          metricName: str,
          items: {
            type: 'array',
            items: {
              type: 'object',
              required: [
                'verb',
                'resource',
                'subresource',
                'scope',
                'Perc50',
                'Perc90',
                'Perc99',
                'count',
                'slowCount',
                'thresholdMs',
              ],
              properties: {
                verb: str,
                resource: str,
                subresource: str,
                scope: str,
                Perc50: num,
                Perc90: num,
                Perc99: num,
                count: num,
                slowCount: num,
                thresholdMs: num,
              },
            },
          },
        },
      },
    },
    {
      if: { properties: { kind: { const: 'schedulingThroughput' } } },
      then: {
        required: ['intervalS', 'samples', 'perc50', 'perc90', 'perc99', 'max'],
        properties: {
          intervalS: num,
          samples: { type: 'array', items: num },
          perc50: num,
          perc90: num,
          perc99: num,
          max: num,
        },
      },
    },
    {
      if: { properties: { kind: { const: 'histograms' } } },
      then: {
        required: ['histograms'],
        properties: { histograms: histogramMap, counters: numberMap },
      },
    },
    {
      if: { properties: { kind: { const: 'gate' } } },
      then: {
        required: ['objects', 'done', 'failedPods'],
        properties: { objects: num, done: num, failedPods: { type: 'array' } },
      },
    },
  ],
} as const;

const measurement = {
  type: 'object',
  required: ['method', 'identifier', 'summaryName', 'status', 'source', 'verdicts', 'data'],
  properties: {
    method: str,
    identifier: str,
    summaryName: str,
    status: { enum: ['pass', 'fail', 'skipped', 'error'] },
    reason: str,
    source: str,
    verdicts: { type: 'array', items: verdict },
    data,
    files: { type: 'array', items: str },
    gatheredAt: str,
  },
} as const;

const step = {
  type: 'object',
  required: ['index', 'name', 'kind', 'startedAt', 'durationMs', 'errors'],
  properties: {
    index: { type: 'integer', minimum: 1 },
    name: str,
    kind: { enum: ['phases', 'measurements'] },
    startedAt: str,
    durationMs: num,
    errors: { type: 'array', items: str },
    measurements: {
      type: 'array',
      items: {
        type: 'object',
        required: ['method', 'identifier', 'durationMs', 'errors'],
        properties: {
          method: str,
          identifier: str,
          durationMs: num,
          errors: { type: 'array', items: str },
        },
      },
    },
  },
} as const;

export const RUN_SUMMARY_JSON_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'hollowfleet run summary',
  type: 'object',
  required: ['schema', 'tool', 'run', 'verdict', 'steps', 'measurements', 'timeline'],
  properties: {
    schema: { const: SUMMARY_SCHEMA },
    tool: {
      type: 'object',
      required: ['name', 'version'],
      properties: { name: { const: 'hollowfleet' }, version: str },
    },
    run: {
      type: 'object',
      required: [
        'id',
        'scenario',
        'params',
        'target',
        'nodes',
        'fleet',
        'startedAt',
        'endedAt',
        'durationMs',
        'complete',
        'exitCode',
      ],
      properties: {
        id: str,
        scenario: {
          type: 'object',
          required: ['name', 'path', 'hash'],
          properties: { name: str, path: str, hash: str },
        },
        params: { type: 'object' },
        target: {
          type: 'object',
          required: ['kind', 'server'],
          properties: {
            kind: { enum: ['embedded', 'external'] },
            server: str,
            kubernetesVersion: str,
            kubeedgeVersion: str,
          },
        },
        nodes: num,
        fleet: {
          type: 'object',
          required: ['mode', 'nodes'],
          properties: { mode: { enum: ['local', 'external', 'none'] }, nodes: num, shards: num },
        },
        startedAt: str,
        endedAt: str,
        durationMs: num,
        complete: { type: 'boolean' },
        failureReason: str,
        exitCode: { type: 'integer' },
      },
    },
    verdict: { enum: ['pass', 'fail', 'incomplete'] },
    steps: { type: 'array', items: step },
    measurements: { type: 'array', items: measurement },
    fleet: {
      type: 'object',
      required: ['histograms', 'counters', 'errorsByCode'],
      properties: { histograms: histogramMap, counters: numberMap, errorsByCode: numberMap },
    },
    timeline: {
      type: 'array',
      items: {
        type: 'object',
        required: ['t', 'nodesReady', 'podsCreated', 'podsScheduled', 'podsRunning'],
        properties: {
          t: num,
          nodesReady: num,
          podsCreated: num,
          podsScheduled: num,
          podsRunning: num,
        },
      },
    },
    harness: {
      type: 'object',
      required: ['apiRetries', 'watchRecoveries'],
      properties: { apiRetries: num, watchRecoveries: num },
    },
    comparison: {
      type: 'object',
      required: ['baseline', 'tolerance', 'minDeltaMs', 'rows', 'regressed'],
      properties: { rows: { type: 'array' }, regressed: { type: 'boolean' } },
    },
  },
} as const;
