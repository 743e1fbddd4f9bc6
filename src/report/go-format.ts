/**
 * Byte-level reproductions of the Go encoders ClusterLoader2 writes its files with (cl2.md §4):
 * `encoding/json` MarshalIndent (2 spaces, trailing newline added by CL2's PrettyPrintJSON) and
 * `encoding/xml` EscapeText plus `strconv.FormatFloat(v, 'g', -1, 64)` for XML attributes. perfdash
 * and diff-based tooling read these files, so "close enough" is not enough.
 */
import { HollowfleetError } from '../common/errors.js';

/** How a Go value is laid out: a struct keeps field order, a map sorts its keys. */
export type GoShape =
  | { kind: 'struct'; fields: ReadonlyArray<{ name: string; shape: GoShape; omitEmpty?: boolean }> }
  | { kind: 'map'; value: GoShape }
  | { kind: 'slice'; element: GoShape }
  /** Scalars, or anything of unknown type: objects inside are treated as maps (sorted keys). */
  | { kind: 'any' };

export const ANY: GoShape = { kind: 'any' };
const stringMap: GoShape = { kind: 'map', value: ANY };

/** `measurementutil.DataItem`: data map, unit, labels map (omitempty). */
export const DATA_ITEM_SHAPE: GoShape = {
  kind: 'struct',
  fields: [
    { name: 'data', shape: stringMap },
    { name: 'unit', shape: ANY },
    { name: 'labels', shape: stringMap, omitEmpty: true },
  ],
};

/** `measurementutil.PerfData`: version, dataItems, labels (omitempty). */
export const PERF_DATA_SHAPE: GoShape = {
  kind: 'struct',
  fields: [
    { name: 'version', shape: ANY },
    { name: 'dataItems', shape: { kind: 'slice', element: DATA_ITEM_SHAPE } },
    { name: 'labels', shape: stringMap, omitEmpty: true },
  ],
};

/** SchedulingThroughput's summary struct. */
export const SCHEDULING_THROUGHPUT_SHAPE: GoShape = {
  kind: 'struct',
  fields: ['perc50', 'perc90', 'perc99', 'max'].map((name) => ({ name, shape: ANY })),
};

/** ResourceUsageSummary: map percentile → list of {Name, CPU, Mem}. */
export const RESOURCE_USAGE_SHAPE: GoShape = {
  kind: 'map',
  value: {
    kind: 'slice',
    element: {
      kind: 'struct',
      fields: ['Name', 'CPU', 'Mem'].map((name) => ({ name, shape: ANY })),
    },
  },
};

/** WaitForControlledPodsRunning failed pods: list of structs. */
export const FAILED_PODS_SHAPE: GoShape = {
  kind: 'slice',
  element: {
    kind: 'struct',
    fields: ['namespace', 'controlledBy', 'name', 'host', 'status'].map((name) => ({
      name,
      shape: ANY,
    })),
  },
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Picks the Go layout of a CL2 summary body from its content. */
export function detectCl2Shape(body: unknown): GoShape {
  if (isPlainObject(body)) {
    if ('version' in body && 'dataItems' in body) return PERF_DATA_SHAPE;
    const keys = Object.keys(body);
    if (keys.length > 0 && keys.every((k) => ['perc50', 'perc90', 'perc99', 'max'].includes(k)))
      return SCHEDULING_THROUGHPUT_SHAPE;
    if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k) && Array.isArray(body[k])))
      return RESOURCE_USAGE_SHAPE;
  }
  if (
    Array.isArray(body) &&
    body.length > 0 &&
    body.every((p) => isPlainObject(p) && 'controlledBy' in p && 'host' in p)
  )
    return FAILED_PODS_SHAPE;
  return ANY;
}

const HEX = '0123456789abcdef';

/** Go `encoding/json` string encoding with HTML escaping on (the default for Marshal). */
export function goJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += text[i]! + text[i + 1]!;
        i++;
      } else out += '\\ufffd'; // Go replaces invalid UTF-8 (a lone surrogate here) with U+FFFD
      continue;
    }
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      default:
        if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029)
          out += `\\u${HEX[(c >> 12) & 15]}${HEX[(c >> 8) & 15]}${HEX[(c >> 4) & 15]}${HEX[c & 15]}`;
        else out += text[i];
    }
  }
  return `${out}"`;
}

/** Go float64 JSON encoding: shortest round-trip digits, exponent form below 1e-6 and from 1e21. */
export function goJsonNumber(value: number): string {
  if (!Number.isFinite(value))
    throw new HollowfleetError(
      'HF_REPORT_ENCODING',
      `cannot encode ${value} as JSON (Go's encoding/json rejects NaN and ±Inf too); the measurement must drop it`,
    );
  if (Object.is(value, -0)) return '-0';
  // JavaScript's Number→string uses the same shortest digits and the same 1e-6 / 1e21 cut-overs.
  return String(value);
}

function utf8Compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function isEmptyForOmit(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '')
    return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isPlainObject(value)) return Object.keys(value).length === 0;
  return false;
}

function encode(value: unknown, shape: GoShape, indent: string, where: string): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'number') return goJsonNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const element = shape.kind === 'slice' ? shape.element : ANY;
    const items = value.map((v, i) => `${inner}${encode(v, element, inner, `${where}[${i}]`)}`);
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  if (!isPlainObject(value))
    throw new HollowfleetError(
      'HF_REPORT_ENCODING',
      `${where}: cannot encode a ${typeof value} as JSON`,
    );
  let entries: Array<[string, unknown, GoShape]>;
  if (shape.kind === 'struct') {
    entries = [];
    for (const field of shape.fields) {
      const v = value[field.name];
      if (v === undefined && !field.omitEmpty) entries.push([field.name, null, field.shape]);
      else if (!(field.omitEmpty && isEmptyForOmit(v))) entries.push([field.name, v, field.shape]);
    }
  } else {
    const valueShape = shape.kind === 'map' ? shape.value : ANY;
    entries = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort(utf8Compare)
      .map((k) => [k, value[k], valueShape]);
  }
  if (entries.length === 0) return '{}';
  const lines = entries.map(
    ([k, v, s]) => `${inner}${goJsonString(k)}: ${encode(v, s, inner, `${where}.${k}`)}`,
  );
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

/** `json.MarshalIndent(v, "", "  ")` plus the trailing newline CL2's PrettyPrintJSON adds. */
export function goJsonIndent(value: unknown, shape: GoShape = detectCl2Shape(value)): string {
  return `${encode(value, shape, '', '$')}\n`;
}

function isXmlChar(cp: number): boolean {
  return (
    cp === 0x09 ||
    cp === 0x0a ||
    cp === 0x0d ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Go `xml.EscapeText` (also what Marshal uses for attribute values). */
export function goXmlEscape(text: string): string {
  let out = '';
  for (const ch of text) {
    switch (ch) {
      case '"':
        out += '&#34;';
        break;
      case "'":
        out += '&#39;';
        break;
      case '&':
        out += '&amp;';
        break;
      case '<':
        out += '&lt;';
        break;
      case '>':
        out += '&gt;';
        break;
      case '\t':
        out += '&#x9;';
        break;
      case '\n':
        out += '&#xA;';
        break;
      case '\r':
        out += '&#xD;';
        break;
      default:
        out += isXmlChar(ch.codePointAt(0)!) ? ch : '\ufffd';
    }
  }
  return out;
}

/** `strconv.FormatFloat(v, 'g', -1, 64)`: %e when the exponent is < -4 or >= 6 (shortest digits). */
export function goFormatFloatG(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, expText] = value.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  // In this exponent range JavaScript prints fixed notation with the same shortest digits.
  return String(value);
}

/** Go's time.Duration.Seconds() for a duration given in (possibly fractional) milliseconds. */
export function durationSeconds(ms: number): number {
  const ns = Math.round(ms * 1e6);
  const sec = Math.trunc(ns / 1e9);
  const nsec = ns - sec * 1e9;
  return sec + nsec / 1e9;
}
