/**
 * EMBEDDED CONTROL PLANE ONLY. Label and field selectors with kube-apiserver's syntax.
 */
import type { KubeObject } from './store-api.js';

export type LabelRequirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: Set<string> }
  | { op: 'exists' | 'notexists'; key: string };

export interface FieldRequirement {
  path: string;
  op: 'eq' | 'neq';
  value: string;
}

export class SelectorParseError extends Error {}

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms.map((t) => t.trim()).filter((t) => t.length > 0);
}

export function parseLabelSelector(text: string | undefined): LabelRequirement[] {
  if (!text) return [];
  const reqs: LabelRequirement[] = [];
  for (const term of splitTerms(text)) {
    let m = /^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) {
      const values = new Set(
        m[3]!
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v !== ''),
      );
      reqs.push({ op: m[2] as 'in' | 'notin', key: m[1]!, values });
      continue;
    }
    m = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(term);
    if (m) {
      reqs.push({ op: m[2] === '!=' ? 'neq' : 'eq', key: m[1]!, value: m[3]! });
      continue;
    }
    m = /^!\s*([^\s!=()]+)$/.exec(term);
    if (m) {
      reqs.push({ op: 'notexists', key: m[1]! });
      continue;
    }
    m = /^([^\s!=()]+)$/.exec(term);
    if (m) {
      reqs.push({ op: 'exists', key: m[1]! });
      continue;
    }
    throw new SelectorParseError(`unable to parse requirement: "${term}"`);
  }
  return reqs;
}

export function matchesLabels(
  labels: Record<string, string> | undefined,
  reqs: LabelRequirement[],
): boolean {
  for (const req of reqs) {
    const value = labels?.[req.key];
    switch (req.op) {
      case 'eq':
        if (value !== req.value) return false;
        break;
      case 'neq':
        if (value === req.value) return false;
        break;
      case 'in':
        if (value === undefined || !req.values.has(value)) return false;
        break;
      case 'notin':
        if (value !== undefined && req.values.has(value)) return false;
        break;
      case 'exists':
        if (value === undefined) return false;
        break;
      case 'notexists':
        if (value !== undefined) return false;
        break;
    }
  }
  return true;
}

export function parseFieldSelector(text: string | undefined): FieldRequirement[] {
  if (!text) return [];
  return splitTerms(text).map((term) => {
    const m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorParseError(`invalid field selector: "${term}"`);
    return { path: m[1]!, op: m[2] === '!=' ? 'neq' : 'eq', value: m[3]!.trim() };
  });
}

/** Reads a dotted field path; missing values compare as the empty string, as the apiserver does. */
export function fieldValue(obj: KubeObject, path: string): string {
  let current: unknown = obj;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return '';
    current = (current as Record<string, unknown>)[part];
  }
  if (current === undefined || current === null) return '';
  return typeof current === 'object' ? JSON.stringify(current) : String(current);
}

export function matchesFields(obj: KubeObject, reqs: FieldRequirement[]): boolean {
  for (const req of reqs) {
    const value = fieldValue(obj, req.path);
    if (req.op === 'eq' ? value !== req.value : value === req.value) return false;
  }
  return true;
}

/** The `spec.nodeName=<n>` requirement, if the selector has one: watchers indexed by node. */
export function exactField(reqs: FieldRequirement[], path: string): string | undefined {
  const req = reqs.find((r) => r.path === path && r.op === 'eq');
  return req?.value;
}
