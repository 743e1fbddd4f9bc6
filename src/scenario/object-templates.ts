/**
 * Object templates, read and parsed once per path (CL2's TemplateProvider caches both), rendered
 * per object with the mapping + templateFillMap + the Name/Index/BaseName/Namespace placeholders.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigError } from '../common/errors.js';
import { hashString } from '../common/random.js';
import { isPlainObject } from './config.js';
import type { KubeObject } from './objects.js';
import type { TemplateMapping } from './params.js';
import { parseTemplate, type Template } from './template/index.js';

/** The identity CL2 keeps state under, from the template with its `{{…}}` stripped. */
export interface TemplateIdentity {
  /** `kind.group` of every document, joined with `+` (usually one). */
  kinds: string;
  objects: Array<{ apiVersion: string; kind: string }>;
}

export interface ObjectTemplateOptions {
  /** Run seed; each template's random functions get their own seed derived from it and the path. */
  seed?: number;
  readFile?: (file: string) => string;
}

/** Parses rendered YAML into objects: several documents allowed, empty ones skipped. */
export function parseObjects(text: string, where: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0)
      throw new ConfigError(
        `${where}: rendered object is not valid YAML: ${doc.errors[0]!.message}`,
      );
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isPlainObject(value))
      throw new ConfigError(`${where}: a rendered document must be a mapping (an object)`);
    const obj = value as KubeObject;
    if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string')
      throw new ConfigError(`${where}: every object needs apiVersion and kind`);
    objects.push(obj);
  }
  return objects;
}

export class ObjectTemplates {
  private readonly raw = new Map<string, string>();
  private readonly parsed = new Map<string, Template>();
  private readonly identities = new Map<string, TemplateIdentity>();

  constructor(private readonly options: ObjectTemplateOptions = {}) {}

  private text(file: string): string {
    let text = this.raw.get(file);
    if (text === undefined) {
      try {
        text = (this.options.readFile ?? ((f: string) => readFileSync(f, 'utf8')))(file);
      } catch (err) {
        throw new ConfigError(`object template ${file} cannot be read: ${(err as Error).message}`, {
          cause: err,
        });
      }
      this.raw.set(file, text);
    }
    return text;
  }

  template(file: string): Template {
    let t = this.parsed.get(file);
    if (!t) {
      const seed =
        this.options.seed === undefined ? undefined : (this.options.seed ^ hashString(file)) >>> 0;
      t = parseTemplate(this.text(file), {
        name: file,
        baseDir: path.dirname(file),
        ...(seed === undefined ? {} : { seed }),
      });
      this.parsed.set(file, t);
    }
    return t;
  }

  /** CL2's RawToObject: drop every `{{…}}` (within a line) and read apiVersion/kind. */
  identity(file: string): TemplateIdentity {
    let id = this.identities.get(file);
    if (!id) {
      const stripped = this.text(file).replace(/\{\{.*\}\}/g, '');
      let list: Array<{ apiVersion: string; kind: string }>;
      try {
        list = parseObjects(stripped, file).map((o) => ({
          apiVersion: o.apiVersion!,
          kind: o.kind!,
        }));
      } catch (err) {
        // CL2 would fail here; hollowfleet also accepts templates whose other lines only make
        // sense rendered, as long as apiVersion and kind are literal top-level lines.
        list = scanKinds(this.text(file));
        if (list.length === 0)
          throw new ConfigError(
            `object template ${file}: cannot tell its kind with the {{…}} placeholders removed (${(err as Error).message}); keep apiVersion and kind literal`,
            { cause: err },
          );
      }
      id = {
        kinds: list
          .map((o) => {
            const slash = o.apiVersion.indexOf('/');
            return `${o.kind}.${slash < 0 ? '' : o.apiVersion.slice(0, slash)}`;
          })
          .join('+'),
        objects: list,
      };
      this.identities.set(file, id);
    }
    return id;
  }

  /** Renders one object instance; an empty rendering yields no objects. */
  render(file: string, data: TemplateMapping): { text: string; objects: KubeObject[] } {
    const text = this.template(file).execute(data);
    return { text, objects: parseObjects(text, file) };
  }
}

/** Top-level `apiVersion:` / `kind:` lines of each `---`-separated document. */
function scanKinds(text: string): Array<{ apiVersion: string; kind: string }> {
  const out: Array<{ apiVersion: string; kind: string }> = [];
  for (const doc of text.split(/^---[^\n]*$/m)) {
    const apiVersion = /^apiVersion:\s*["']?([^\s"'#]+)/m.exec(doc)?.[1];
    const kind = /^kind:\s*["']?([^\s"'#]+)/m.exec(doc)?.[1];
    if (apiVersion && kind && !apiVersion.includes('{{') && !kind.includes('{{'))
      out.push({ apiVersion, kind });
  }
  return out;
}

export interface ObjectPlaceholders {
  name: string;
  index: number;
  basename: string;
  namespace: string;
}

/** mapping, then templateFillMap over it, then the placeholders over both (CL2's order). */
export function objectMapping(
  mapping: TemplateMapping,
  templateFillMap: Readonly<Record<string, unknown>>,
  p: ObjectPlaceholders,
): TemplateMapping {
  return {
    ...mapping,
    ...templateFillMap,
    Name: p.name,
    Index: p.index,
    BaseName: p.basename,
    Namespace: p.namespace,
  };
}
