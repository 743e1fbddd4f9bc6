import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

import { ConfigError } from '../../src/common/errors.js';
import {
  GoFloat,
  Template,
  TemplateError,
  parseTemplate,
  renderTemplate,
} from '../../src/scenario/template/index.js';
import type { RenderOptions, TemplateValue } from '../../src/scenario/template/index.js';

const FILE = 'scenarios/x.yaml';

function render(
  text: string,
  data: TemplateValue = {},
  options: Partial<RenderOptions> = {},
): string {
  return renderTemplate(text, data, { name: FILE, seed: 1, ...options });
}

function renderError(
  text: string,
  data: TemplateValue = {},
  options: Partial<RenderOptions> = {},
): TemplateError {
  try {
    render(text, data, options);
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to fail`);
}

describe('text and actions', () => {
  it('copies text and prints simple values', () => {
    expect(render('plain text\n')).toBe('plain text\n');
    expect(render('')).toBe('');
    expect(render('{{.Name}}!', { Name: 'edge' })).toBe('edge!');
    expect(render('{{.}}', 'dot')).toBe('dot');
    expect(render('{{$}}', 7)).toBe('7');
    expect(render('{{true}} {{false}}')).toBe('true false');
  });

  it('prints ints and floats the way Go prints int and float64', () => {
    expect(render('{{1}} {{-3}} {{0x1F}} {{0o17}} {{0b101}} {{1_000}}')).toBe('1 -3 31 15 5 1000');
    expect(render('{{1.0}} {{1.5}} {{1e6}} {{1e-7}} {{123456.0}} {{1234567.0}}')).toBe(
      '1 1.5 1e+06 1e-07 123456 1.234567e+06',
    );
    expect(render("{{'a'}} {{'\\n'}}")).toBe('97 10');
    expect(render('{{.F}} {{.I}}', { F: 2.5, I: 42 })).toBe('2.5 42');
    expect(render('{{.F}}', { F: new GoFloat(3) })).toBe('3');
    expect(render('{{.Big}}', { Big: 9007199254740993n })).toBe('9007199254740993');
  });

  it('prints strings, raw strings, slices and maps', () => {
    expect(render('{{"a\\tb"}}|{{`raw\\n`}}')).toBe('a\tb|raw\\n');
    expect(render('{{.L}}', { L: [1, 'a', true] })).toBe('[1 a true]');
    expect(render('{{.M}}', { M: { b: 2, a: 1 } })).toBe('map[a:1 b:2]');
    expect(render('{{.N}}', { N: null })).toBe('<no value>');
    expect(render('{{print nil}}')).toBe('<nil>');
  });

  it('drops comments and applies trim markers', () => {
    expect(render('a{{/* note */}}b')).toBe('ab');
    expect(render('a \n {{- /* note */ -}} \n b')).toBe('ab');
    expect(render('a  {{- 1 -}}  b')).toBe('a1b');
    expect(render('a  {{- 1}}  b')).toBe('a1  b');
    expect(render('a  {{1 -}}\n\n  b')).toBe('a  1b');
    expect(render('{{3 -}} < {{- 4}}')).toBe('3<4');
    // `-3` without a space is a number, not a trim marker.
    expect(render('x {{-3}}')).toBe('x -3');
  });

  it('renders a YAML list with trim markers around range', () => {
    const text = [
      'items:',
      '{{- range $i := Loop 3}}',
      '- name: pod-{{$i}}',
      '{{- end}}',
      'done: true',
      '',
    ].join('\n');
    expect(render(text)).toBe('items:\n- name: pod-0\n- name: pod-1\n- name: pod-2\ndone: true\n');
  });
});

describe('fields, variables and missing keys', () => {
  const data = { A: { B: { C: 'deep' } }, S: 'str', Zero: 0, Nil: null, List: [{ Name: 'first' }] };

  it('walks field chains on maps', () => {
    expect(render('{{.A.B.C}}', data)).toBe('deep');
    expect(render('{{with .A}}{{.B.C}}{{end}}', data)).toBe('deep');
    expect(render('{{(index .List 0).Name}}', data)).toBe('first');
    expect(render('{{$a := .A}}{{$a.B.C}}', data)).toBe('deep');
    expect(render('{{.A.B}}', { A: new Map([['B', 'from a Map']]) })).toBe('from a Map');
  });

  it('prints <no value> for missing keys and passes nil to functions', () => {
    expect(render('{{.Missing}}', data)).toBe('<no value>');
    expect(render('{{.Missing.Deeper}}', data)).toBe('<no value>');
    expect(render('{{.Missing | print}}', data)).toBe('<nil>');
    expect(render('{{DefaultParam .Missing "fallback"}}', data)).toBe('fallback');
    expect(render('{{DefaultParam .Zero 5}}', data)).toBe('0');
    expect(render('{{DefaultParam .Nil 5}}', data)).toBe('5');
    expect(render('{{if .Missing}}yes{{else}}no{{end}}', data)).toBe('no');
    expect(render('{{eq .Missing nil}}', data)).toBe('true');
  });

  it('honours missingKey zero and error', () => {
    expect(render('{{.Missing}}', {}, { missingKey: 'zero' })).toBe('<no value>');
    const error = renderError('\n  {{.Missing}}', {}, { missingKey: 'error' });
    expect(error.message).toBe(
      `${FILE}:2:5: executing "x.yaml" at <.Missing>: map has no entry for key "Missing"`,
    );
  });

  it('fails on fields of non-maps and through nil', () => {
    expect(renderError('{{.S.Len}}', data).message).toContain(
      "can't evaluate field Len in type string",
    );
    expect(renderError('{{.Nil.X}}', data).message).toContain(
      'nil pointer evaluating interface {}.X',
    );
    expect(renderError('{{.A 1}}', data).message).toContain('A is not a method but has arguments');
  });

  it('declares, assigns and scopes variables', () => {
    expect(render('{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}')).toBe('2');
    expect(render('{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}')).toBe('21');
    expect(render('{{with $v := .S}}{{$v}}{{end}}', data)).toBe('str');
    expect(render('{{range .List}}{{$.S}}{{end}}', data)).toBe('str');
    expect(renderError('{{if true}}{{$y := 1}}{{end}}{{$y}}').message).toContain(
      'undefined variable "$y"',
    );
  });
});

describe('control structures', () => {
  it('chooses branches with if / else if / else', () => {
    const text = '{{if eq .N 1}}one{{else if eq .N 2}}two{{else}}many{{end}}';
    expect(render(text, { N: 1 })).toBe('one');
    expect(render(text, { N: 2 })).toBe('two');
    expect(render(text, { N: 3 })).toBe('many');
    expect(render('{{if ""}}a{{else}}b{{end}}{{if .L}}c{{end}}{{if 0.0}}d{{end}}', { L: [] })).toBe(
      'b',
    );
  });

  it('ranges over slices, maps in key order, and empty collections', () => {
    expect(render('{{range .}}<{{.}}>{{end}}', ['a', 'b'])).toBe('<a><b>');
    expect(render('{{range $i, $v := .}}{{$i}}={{$v}};{{end}}', ['a', 'b'])).toBe('0=a;1=b;');
    expect(render('{{range $k, $v := .}}{{$k}}={{$v}};{{end}}', { b: 2, a: 1, c: 3 })).toBe(
      'a=1;b=2;c=3;',
    );
    expect(render('{{range .}}{{.}}{{end}}', { z: 'Z', y: 'Y' })).toBe('YZ');
    expect(render('{{range .L}}x{{else}}empty{{end}}', { L: [] })).toBe('empty');
    expect(render('{{range .Missing}}x{{else}}none{{end}}')).toBe('none');
    expect(render('{{range 3}}{{.}}{{end}}')).toBe('012');
    expect(render('{{$x := 0}}{{range .}}{{$x = .}}{{end}}{{$x}}', [4, 5])).toBe('5');
  });

  it('supports break and continue', () => {
    const text =
      '{{range .}}{{if eq . 3}}{{continue}}{{end}}{{if eq . 5}}{{break}}{{end}}{{.}}{{end}}';
    expect(render(text, [1, 2, 3, 4, 5, 6])).toBe('124');
    expect(renderError('{{break}}').message).toContain('{{break}} outside {{range}}');
  });

  it('runs with / else with', () => {
    const text = '{{with .A}}a={{.}}{{else with .B}}b={{.}}{{else}}none{{end}}';
    expect(render(text, { A: 1, B: 2 })).toBe('a=1');
    expect(render(text, { B: 2 })).toBe('b=2');
    expect(render(text, {})).toBe('none');
  });

  it('defines and calls templates with their own dot', () => {
    const text = [
      '{{define "item"}}- {{.name}}{{template "suffix" .}}{{end}}',
      '{{define "suffix"}} ({{$.kind}}){{end}}',
      '{{range .items}}{{template "item" .}}\n{{end}}',
    ].join('');
    const data = {
      items: [
        { name: 'a', kind: 'pod' },
        { name: 'b', kind: 'svc' },
      ],
    };
    expect(render(text, data)).toBe('- a (pod)\n- b (svc)\n');
    expect(render('{{define "T"}}[{{.}}]{{end}}{{template "T"}}')).toBe('[<no value>]');
    expect(render('{{block "B" .}}default {{.}}{{end}}', 'x')).toBe('default x');
    expect(renderError('{{template "nope"}}').message).toContain('template "nope" not defined');
  });

  it('exposes defined templates through the Template class', () => {
    const template = parseTemplate('{{define "a"}}A{{.}}{{end}}{{define "b"}}B{{end}}top', {
      name: FILE,
    });
    expect(template).toBeInstanceOf(Template);
    expect(template.definedTemplates()).toEqual(['a', 'b', 'x.yaml']);
    expect(template.execute({})).toBe('top');
    expect(template.executeTemplate('a', 1)).toBe('A1');
    expect(template.executeTemplate('a', 2)).toBe('A2');
  });
});

describe('builtins', () => {
  it('compares like Go', () => {
    expect(render('{{eq 1 1}} {{eq 1 2 3 1}} {{ne "a" "b"}} {{eq "a" "a"}}')).toBe(
      'true true true true',
    );
    expect(render('{{lt 1 2}} {{le 2 2}} {{gt 1.5 2.5}} {{ge "b" "a"}}')).toBe(
      'true true false true',
    );
    expect(render('{{eq .Missing 1}}')).toBe('false');
    expect(renderError('{{eq 1 "1"}}').message).toContain('incompatible types for comparison');
    expect(renderError('{{lt 1 1.5}}').message).toContain('incompatible types for comparison');
    expect(renderError('{{lt true false}}').message).toContain('invalid type for comparison');
  });

  it('short-circuits and/or and negates with not', () => {
    expect(render('{{and 1 2}} {{and 0 2}} {{or 0 ""}}|{{or "" "x"}} {{not 0}} {{not "a"}}')).toBe(
      '2 0 |x true false',
    );
    expect(render('{{and false (index .L 99)}}', { L: [] })).toBe('false');
    expect(render('{{or true (DivideInt 1 0)}}')).toBe('true');
  });

  it('measures, indexes and slices', () => {
    expect(render('{{len "héllo"}} {{len .L}} {{len .M}}', { L: [1, 2], M: { a: 1 } })).toBe(
      '6 2 1',
    );
    expect(
      render('{{index .L 1}} {{index .M "k"}} {{index .N 0 1}}', {
        L: [7, 8],
        M: { k: 'v' },
        N: [[1, 2]],
      }),
    ).toBe('8 v 2');
    expect(render('{{index .M "nope"}}', { M: {} })).toBe('<no value>');
    expect(render('{{slice "abcdef" 1 3}} {{slice .L 1}}', { L: [1, 2, 3] })).toBe('bc [2 3]');
    expect(renderError('{{index .L 5}}', { L: [1] }).message).toContain(
      'error calling index: index out of range: 5',
    );
    expect(renderError('{{len 3}}').message).toContain('error calling len: len of type int');
  });

  it('prints with print, println and printf verbs', () => {
    expect(render('{{print 1 2}}|{{print "a" "b"}}|{{print 1 "a" 2}}|{{println "x" 1}}')).toBe(
      '1 2|ab|1a2|x 1\n',
    );
    expect(render('{{printf "%d %s %v %q %t %%" 42 "s" 1.5 "q" true}}')).toBe(
      '42 s 1.5 "q" true %',
    );
    expect(render('{{printf "%.2f|%f|%5.1f" 3.14159 2.0 9.96}}')).toBe('3.14|2.000000| 10.0');
    expect(render('{{printf "%5d|%-5d|%05d|%x|%X|%o" 42 42 42 255 255 8}}')).toBe(
      '   42|42   |00042|ff|FF|10',
    );
    expect(render('{{printf "%x" "hi"}} {{printf "%8s|%-4s|" "r" "l"}}')).toBe(
      '6869        r|l   |',
    );
    expect(render('{{printf "%v %v" .L .M}}', { L: [1, 2], M: { k: 'v' } })).toBe('[1 2] map[k:v]');
    expect(render('{{printf "%T %T %T %T" 1 1.5 "s" true}}')).toBe('int float64 string bool');
    expect(render('{{printf "%d" "x"}} {{printf "%s" 5}} {{printf "%d"}}')).toBe(
      '%!d(string=x) %!s(int=5) %!d(MISSING)',
    );
    expect(render('{{printf "%d" 1 2}}')).toBe('1%!(EXTRA int=2)');
    expect(render('{{printf "%v" 1e21}} {{printf "%e" 1234.5}} {{printf "%g" 0.00001}}')).toBe(
      '1e+21 1.234500e+03 1e-05',
    );
    expect(render('{{"x" | printf "%s-%s" "a"}}')).toBe('a-x');
  });

  it('escapes with html, js and urlquery', () => {
    expect(render('{{html "<a href=\'x\'>&</a>"}}')).toBe(
      '&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;',
    );
    expect(render('{{js "it\'s <b>"}}')).toBe("it\\'s \\u003Cb\\u003E");
    expect(render('{{urlquery "a b&c=d/é"}}')).toBe('a+b%26c%3Dd%2F%C3%A9');
  });

  it('calls function values with call', () => {
    const data = { Add: (a: unknown, b: unknown) => Number(a) + Number(b) };
    expect(render('{{call .Add 2 3}}', data)).toBe('5');
    expect(renderError('{{call .Nope 1}}', data).message).toContain('call of nil');
  });
});

describe('pipelines and parentheses', () => {
  it('passes the previous value as the last argument', () => {
    expect(render('{{1 | AddInt 2 | MultiplyInt 10}}')).toBe('30');
    expect(render('{{.Nodes | MinInt 100}}', { Nodes: 5000 })).toBe('100');
    expect(render('{{printf "%d" (AddInt 1 (MultiplyInt 2 3))}}')).toBe('7');
    expect(render('{{$n := AddInt 1 2 | MultiplyInt 2}}{{$n}}')).toBe('6');
    expect(render('{{(1)}} {{("s")}}')).toBe('1 s');
  });

  it('rejects non-executable pipeline stages and stray arguments', () => {
    expect(renderError('{{1 | 2}}').message).toContain(
      'non executable command in pipeline stage 2',
    );
    expect(renderError('{{"s" | .X}}', { X: 1 }).message).toContain(
      'X is not a method but has arguments',
    );
    expect(renderError('{{$x := 1}}{{$x 2}}').message).toContain(
      "can't give argument to non-function $x",
    );
  });
});

describe('CL2 functions', () => {
  it('computes the density NODES_PER_NAMESPACE default and namespaces', () => {
    const text = [
      '{{$NODES := DefaultParam .NODES_PER_NAMESPACE (MinInt .Nodes 100)}}',
      'namespaces: {{DivideInt .Nodes $NODES}}',
    ].join('\n');
    expect(render(text, { Nodes: 250 })).toBe('\nnamespaces: 2');
    expect(render(text, { Nodes: 250, NODES_PER_NAMESPACE: 50 })).toBe('\nnamespaces: 5');
    const error = renderError(text, { Nodes: 0 });
    expect(error.message).toMatch(
      /^scenarios\/x\.yaml:2:15: executing "x\.yaml" at <DivideInt .Nodes \$NODES>: error calling DivideInt: /,
    );
    expect(error.message).toContain('division by zero');
    expect(error.line).toBe(2);
    expect(error.column).toBe(15);
  });

  it('converts through float64 and truncates *Int results toward zero', () => {
    expect(
      render('{{DivideInt 7 2}} {{DivideInt -7 2}} {{MultiplyInt 0.5 5}} {{AddInt 1.5 1.6}}'),
    ).toBe('3 -3 2 3');
    expect(render('{{SubtractInt 5 7.5}} {{SubtractFloat 5 7.5}} {{AddInt}} {{MultiplyInt}}')).toBe(
      '-2 -2.5 0 1',
    );
    expect(render('{{AddInt "3" 4}} {{AddFloat 0.1 0.2}} {{MultiplyFloat 1000 1000}}')).toBe(
      '7 0.30000000000000004 1e+06',
    );
    expect(render('{{DivideFloat 10 4}} {{DivideFloat 1 3}} {{AddFloat 1 2}}')).toBe(
      '2.5 0.3333333333333333 3',
    );
    expect(render('{{printf "%T %T" (AddInt 1 2) (AddFloat 1 2)}}')).toBe('int float64');
    expect(
      render('{{MaxInt 3 9.9 4}} {{MinInt 3 -2.5}} {{MaxFloat 1 2.5}} {{MinFloat 1.5 2}}'),
    ).toBe('9 -2 2.5 1.5');
    expect(
      render('{{Mod 7 3}} {{Mod 7.9 3}} {{Mod -7 3}} {{Ceil 2.1}} {{Ceil 2}} {{Ceil -0.5}}'),
    ).toBe('1 1 -1 3 2 -0');
    expect(renderError('{{DivideFloat 1 0}}').message).toContain(
      'error calling DivideFloat: division by zero',
    );
    expect(renderError('{{Mod 1 0}}').message).toContain('error calling Mod');
    expect(renderError('{{MaxInt}}').message).toContain('maximum undefined');
  });

  it('names the function and argument on bad argument types', () => {
    const error = renderError('{{AddInt 1 "x"}}');
    expect(error.message).toContain('error calling AddInt: argument 2: cannot cast x to float64');
    expect(renderError('{{Lowercase 5}}').message).toMatch(
      /argument 1 of Lowercase.*expected string; found 5/,
    );
    expect(renderError('{{Lowercase .N}}', { N: 5 }).message).toMatch(
      /argument 1 of Lowercase.*wrong type for value; expected string; got int/,
    );
    expect(renderError('{{IfThenElse 1 "a" "b"}}').message).toContain(
      'error calling IfThenElse: incorrect argument type: got: int want: bool',
    );
  });

  it('chooses with IfThenElse and builds slices with Loop, SliceOfZeros and Seq', () => {
    expect(render('{{IfThenElse true "a" "b"}}{{IfThenElse (lt 2 1) "a" "b"}}')).toBe('ab');
    expect(render('{{Loop 3}} {{SliceOfZeros 2}} {{Seq 3}} {{Loop 0}} {{len (Loop 4.7)}}')).toBe(
      '[0 1 2] [0 0] [0 0 0] [] 4',
    );
    expect(render('{{range $i := Loop 3}}{{$i}},{{end}}')).toBe('0,1,2,');
    expect(render('{{range $i, $_ := SliceOfZeros 2}}{{$i}}{{end}}')).toBe('01');
  });

  it('splits, concatenates and lowercases strings', () => {
    expect(render('{{StringSplit "a,b,,c"}} {{len (StringSplit "x")}}')).toBe('[a b  c] 1');
    expect(render('{{range StringSplit .L}}<{{.}}>{{end}}', { L: 'p,q' })).toBe('<p><q>');
    expect(render('{{Concat "a" "b" "c"}}{{Concat}}{{Lowercase "MiXeD"}}')).toBe('abcmixed');
  });

  it('draws seeded random values in range', () => {
    for (let seed = 0; seed < 20; seed++) {
      const value = Number(render('{{RandInt 3}}', {}, { seed }));
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(3);
      const ranged = Number(render('{{RandIntRange 5 7}}', {}, { seed }));
      expect([5, 6, 7]).toContain(ranged);
    }
    expect(render('{{RandIntRange 9 4}}')).toBe('9');
    expect(render('{{RandInt 0}}')).toBe('0');
    const seen = new Set(
      Array.from({ length: 40 }, (_, seed) => render('{{RandInt 1}}', {}, { seed })),
    );
    expect(seen).toEqual(new Set(['0', '1']));
    expect(render('{{RandData 5}}{{RandData 5}}', {}, { seed: 3 })).toBe(
      render('{{RandData 5}}{{RandData 5}}', {}, { seed: 3 }),
    );
    expect(render('{{RandData 12}}')).toMatch(/^[0-9a-zA-Z]{12}$/);
  });

  it('derives RandDataWithSeed from the seed string only', () => {
    const a = render('{{RandDataWithSeed 16 "abc"}}', {}, { seed: 1 });
    const b = render('{{RandDataWithSeed 16 "abc"}}', {}, { seed: 2 });
    const c = render('{{RandDataWithSeed 16 "abd"}}', {}, { seed: 1 });
    expect(a).toMatch(/^[0-9a-zA-Z]{16}$/);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('quotes YAML strings with YamlQuote', () => {
    expect(render('{{YamlQuote "simple" 0}}')).toBe('simple\n');
    expect(render('{{YamlQuote "true" 0}}|{{YamlQuote "1" 0}}|{{YamlQuote "" 0}}')).toBe(
      '"true"\n|"1"\n|""\n',
    );
    expect(render('{{YamlQuote "a: b" 0}}')).toBe("'a: b'\n");
    expect(render('key: {{YamlQuote "line1\\nline2" 1}}')).toBe(
      'key: |-\n    line1\n    line2\n  ',
    );
    expect(renderError('{{YamlQuote 1 0}}').message).toContain(
      'incorrect argument type: got: int want: string',
    );
    expect(renderError('{{YamlQuote "a" 1.5}}').message).toContain(
      'incorrect argument type: got: float64 want: int',
    );
  });

  it('includes files through readFile, expanding $VARS for IncludeFile', () => {
    const files = new Map([
      ['scenarios/manifests/cm.yaml', 'kind: ConfigMap\n'],
      ['/opt/cl2/extra.yaml', 'extra\n'],
    ]);
    const readFile = (file: string): string => {
      const content = files.get(file);
      if (content === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return content;
    };
    const options = { readFile, env: { ROOT: '/opt/cl2' } };
    expect(render('{{IncludeEmbedFile "manifests/cm.yaml"}}', {}, options)).toBe(
      'kind: ConfigMap\n',
    );
    expect(render('{{IncludeFile "manifests/cm.yaml"}}', {}, options)).toBe('kind: ConfigMap\n');
    expect(render('{{IncludeFile "$ROOT/extra.yaml"}}', {}, options)).toBe('extra\n');
    expect(renderError('{{IncludeEmbedFile "../x"}}', {}, options).message).toContain(
      'invalid argument',
    );
    expect(renderError('{{IncludeFile "nope.yaml"}}', {}, options).message).toContain(
      'no such file or directory',
    );
  });

  it('reads included files from disk next to the scenario by default', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hf-template-'));
    try {
      writeFileSync(path.join(dir, 'part.yaml'), 'included: true\n');
      const name = path.join(dir, 'main.yaml');
      expect(renderTemplate('{{IncludeEmbedFile "part.yaml"}}', {}, { name })).toBe(
        'included: true\n',
      );
      expect(renderTemplate('{{IncludeFile "part.yaml"}}', {}, { name })).toBe('included: true\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts extra functions through options.funcs', () => {
    expect(render('{{Shout "hi"}}', {}, { funcs: { Shout: (s) => String(s).toUpperCase() } })).toBe(
      'HI',
    );
  });
});

describe('errors', () => {
  it('are ConfigErrors with file:line:col', () => {
    const error = renderError('a\nb {{.X | Nope}}');
    expect(error.code).toBe('HF_CONFIG');
    expect(error.message).toBe(`${FILE}:2:10: function "Nope" not defined`);
    expect(error.file).toBe(FILE);
    expect(error.line).toBe(2);
    expect(error).toBeInstanceOf(ConfigError);
  });

  it('reports parse errors', () => {
    expect(renderError('{{.X').message).toContain('unclosed action');
    expect(renderError('{{if}}{{end}}').message).toContain('missing value for if');
    expect(renderError('{{end}}').message).toContain('unexpected {{end}}');
    expect(renderError('{{if true}}x').message).toContain('unexpected EOF');
    expect(renderError('{{$x}}').message).toContain('undefined variable "$x"');
    expect(renderError('{{"unterminated}}').message).toContain('unterminated quoted string');
    expect(renderError('{{/* open').message).toContain('unclosed comment');
    expect(renderError('{{(1}}').message).toContain('unclosed left paren');
    expect(renderError('{{1)}}').message).toContain('unexpected right paren');
    expect(renderError('{{define "a"}}1{{end}}{{define "a"}}2{{end}}').message).toContain(
      'multiple definition of template "a"',
    );
    expect(renderError('{{3x}}').message).toContain('bad number syntax');
    expect(renderError('{{nil}}').message).toContain('nil is not a command');
  });

  it('reports the position of execution errors on later lines', () => {
    const text = 'a: 1\nb: {{index .L 3}}\n';
    const error = renderError(text, { L: [] });
    expect(`${error.line}:${error.column}`).toBe('2:6');
    expect(
      error.message.startsWith(
        `${FILE}:2:6: executing "x.yaml" at <index .L 3>: error calling index:`,
      ),
    ).toBe(true);
  });

  it('reports errors inside defined templates under their own name', () => {
    const error = renderError('{{define "T"}}\n{{.X.Y}}{{end}}{{template "T" .}}', { X: 'str' });
    expect(error.message).toContain(`${FILE}:2:3: executing "T" at <.X.Y>`);
  });
});

describe('a CL2-style test config', () => {
  const config = [
    '{{$NODES_PER_NAMESPACE := DefaultParam .NODES_PER_NAMESPACE (MinInt .Nodes 100)}}',
    '{{$PODS_PER_NODE := DefaultParam .PODS_PER_NODE 30}}',
    '{{$ENABLE_CHAOS := DefaultParam .CL2_ENABLE_CHAOS false}}',
    '{{$namespaces := DivideInt .Nodes $NODES_PER_NAMESPACE}}',
    '{{$podsPerNamespace := MultiplyInt $PODS_PER_NODE $NODES_PER_NAMESPACE}}',
    '{{$timeout := MaxInt 120 (DivideInt (MultiplyInt $namespaces $podsPerNamespace) 20)}}',
    'name: density',
    'namespace:',
    '  number: {{$namespaces}}',
    'tuningSets:',
    '- name: Uniform5qps',
    '  qpsLoad:',
    '    qps: {{DivideFloat 10 2}}',
    '{{if $ENABLE_CHAOS}}',
    'chaosMonkey:',
    '  nodeFailure:',
    '    failureRate: 0.01',
    '{{end}}',
    'steps:',
    '{{range $i, $size := StringSplit "small,big"}}',
    '- name: Create {{$size}} deployments',
    '  phases:',
    '  - namespaceRange:',
    '      min: 1',
    '      max: {{$namespaces}}',
    '    replicasPerNamespace: {{IfThenElse (eq $size "big") 1 (AddInt $i 2)}}',
    '    objectBundle:',
    '    - basename: {{$size}}-deployment',
    '      objectTemplatePath: deployment.yaml',
    '      templateFillMap:',
    '        Replicas: {{MultiplyInt $podsPerNamespace 0.5}}',
    '        Timeout: {{$timeout}}s',
    '{{end}}',
    '',
  ].join('\n');

  it('renders to the YAML CL2 would produce', () => {
    const document = parseYaml(render(config, { Nodes: 250, NODES_PER_NAMESPACE: 50 })) as Record<
      string,
      unknown
    >;
    expect(document).toEqual({
      name: 'density',
      namespace: { number: 5 },
      tuningSets: [{ name: 'Uniform5qps', qpsLoad: { qps: 5 } }],
      steps: [
        {
          name: 'Create small deployments',
          phases: [
            {
              namespaceRange: { min: 1, max: 5 },
              replicasPerNamespace: 2,
              objectBundle: [
                {
                  basename: 'small-deployment',
                  objectTemplatePath: 'deployment.yaml',
                  templateFillMap: { Replicas: 750, Timeout: '375s' },
                },
              ],
            },
          ],
        },
        {
          name: 'Create big deployments',
          phases: [
            {
              namespaceRange: { min: 1, max: 5 },
              replicasPerNamespace: 1,
              objectBundle: [
                {
                  basename: 'big-deployment',
                  objectTemplatePath: 'deployment.yaml',
                  templateFillMap: { Replicas: 750, Timeout: '375s' },
                },
              ],
            },
          ],
        },
      ],
    });
  });

  it('switches on CL2_ parameters and defaults', () => {
    const document = parseYaml(render(config, { Nodes: 100, CL2_ENABLE_CHAOS: true })) as Record<
      string,
      unknown
    >;
    expect(document['chaosMonkey']).toEqual({ nodeFailure: { failureRate: 0.01 } });
    expect(document['namespace']).toEqual({ number: 1 });
  });

  it('fails cleanly with zero nodes, pointing at the division', () => {
    const error = renderError(config, { Nodes: 0 });
    expect(error.line).toBe(4);
    expect(error.message).toContain('error calling DivideInt: division by zero');
  });

  it('reports where a multi-line action that never closes began', () => {
    expect(renderError('a\n{{if\n\n').message).toMatch(
      /^scenarios\/x\.yaml:\d+:\d+: unclosed action/,
    );
  });
});

describe('edge cases', () => {
  const data = { L: [1, 2, 3], S: 's', Fn: (value: unknown) => `${String(value)}!` };

  it('passes piped values to call, and and or', () => {
    expect(render('{{1 | call .Fn}}', data)).toBe('1!');
    expect(render('{{1 | and 2}}|{{0 | or 0}}|{{0 | and 2}}', data)).toBe('1|0|0');
    expect(renderError('{{and}}').message).toContain(
      'wrong number of args for and: want at least 1 got 0',
    );
  });

  it('ranges over negative and zero ints as empty', () => {
    expect(render('{{range -2}}x{{else}}none{{end}}|{{range 0}}x{{else}}none{{end}}')).toBe(
      'none|none',
    );
  });

  it('rejects arguments given to fields of maps, but not to missing chains', () => {
    expect(renderError('{{.Missing 1}}', data).message).toContain(
      'Missing is not a method but has arguments',
    );
    expect(render('{{.Missing.X 1}}', data)).toBe('<no value>');
  });

  it('fails on unknown templates and unprintable values', () => {
    const template = parseTemplate('x', { name: FILE });
    expect(() => template.executeTemplate('nope', {})).toThrow(
      /no template "nope" associated with template/,
    );
    expect(renderError('{{.Fn}}', data).message).toContain("can't print {{.Fn}} of type");
  });

  it('checks argument counts of CL2 functions', () => {
    expect(renderError('{{DefaultParam .S}}', data).message).toContain(
      'at <DefaultParam .S>: wrong number of args for DefaultParam: want 2 got 1',
    );
    expect(renderError('{{Loop -1}}').message).toContain(
      'error calling Loop: runtime error: makeslice: len out of range',
    );
    expect(renderError('{{RandInt -1}}').message).toContain(
      'error calling RandInt: invalid argument to Intn',
    );
  });

  it('treats break and continue as functions when funcs define them', () => {
    const funcs = { break: () => 'b' };
    expect(render('{{break}}', {}, { funcs })).toBe('b');
  });
});
