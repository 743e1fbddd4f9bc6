import { describe, expect, it } from 'vitest';

import {
  GoFloat,
  TemplateError,
  marshalYamlString,
  renderTemplate,
  sprintf,
} from '../../src/scenario/template/index.js';
import type { TemplateValue } from '../../src/scenario/template/index.js';

function render(text: string, data: TemplateValue = {}): string {
  return renderTemplate(text, data, { name: 'scenarios/f.yaml', seed: 7 });
}

describe('fmt verbs (printf)', () => {
  const cases: Array<[string, unknown[], string]> = [
    ['%+d|% d|%+.1f', [5, 7, new GoFloat(2)], '+5| 7|+2.0'],
    ['%6.2f|%-8.3f|', [3.14159, 2.5], '  3.14|2.500   |'],
    ['%08.3f', [-3.14159], '-003.142'],
    ['%5s|%.2s|%-3s|', ['abc', 'abc', 'a'], '  abc|ab|a  |'],
    ['%x|%X|%o|%b|%#x', [-255, 3054, 8, 5, 255], '-ff|BEE|10|101|0xff'],
    [
      '%e|%E|%g|%.3g',
      [new GoFloat(0), 1234.5, new GoFloat(1e8), 3.14159],
      '0.000000e+00|1.234500E+03|1e+08|3.14',
    ],
    ['%c|%q|%U', [65, 65, 65], "A|'A'|U+0041"],
    ['%v|%d|%s', [null, null, null], '<nil>|%!d(<nil>)|%!s(<nil>)'],
    ['%t|%t', [true, 1], 'true|%!t(int=1)'],
    ['%*d|%[2]d %[1]d', [5, 1, 9], '    1|1 5'],
    ['%d %d', [1], '1 %!d(MISSING)'],
    ['%d', [1, 'x'], '1%!(EXTRA string=x)'],
    ['%f', [2], '%!f(int=2)'],
    ['%', [], '%!(NOVERB)'],
    ['%z', [1], '%!z(int=1)'],
    ['%.1f|%.0f|%.2f', [0.05, 2.5, 1.005], '0.1|2|1.00'],
  ];
  it.each(cases)('%s', (format, args, want) => {
    expect(sprintf(format, args)).toBe(want);
  });

  it('formats special floats and large integers', () => {
    expect(sprintf('%v %v %v', [Number.NaN, Infinity, -Infinity])).toBe('NaN +Inf -Inf');
    expect(render('{{.I}} {{.B}}', { I: 2 ** 60, B: 12345678901234567890n })).toBe(
      '1152921504606846976 12345678901234567890',
    );
  });
});

describe('ints and floats', () => {
  it('treats integral numbers beyond int64 as float64, as YAML decoding in Go would', () => {
    expect(render('{{.F}} {{printf "%T" .F}}', { F: 1e20 })).toBe('1e+20 float64');
  });

  it('keeps GoFloat values floats even when integral', () => {
    expect(render('{{.F}} {{printf "%T" .F}} {{printf "%v" .F}}', { F: new GoFloat(1e6) })).toBe(
      '1e+06 float64 1e+06',
    );
    expect(
      render('{{.F}}|{{.G}}|{{.H}}', {
        F: new GoFloat(0.0001),
        G: new GoFloat(-0.000012),
        H: new GoFloat(2),
      }),
    ).toBe('0.0001|-1.2e-05|2');
  });

  it('truncates out-of-range *Int results like Go on amd64', () => {
    expect(render('{{AddInt .F 1}}', { F: 1e20 })).toBe('-9223372036854775808');
  });

  it('rejects int/float comparisons and accepts same-kind ones', () => {
    expect(render('{{lt (DivideFloat 1 2) 1.0}} {{eq (AddInt 1 1) 2}}')).toBe('true true');
    expect(() => render('{{lt (DivideFloat 1 2) 1}}')).toThrow(/incompatible types for comparison/);
  });
});

describe('YamlQuote / yaml.v2 string marshalling', () => {
  const cases: Array<[string, string]> = [
    ['plain', 'plain\n'],
    ['a\nb', '|-\n  a\n  b\n'],
    ['a\n', '|\n  a\n'],
    ['a\n\n', '|+\n  a\n\n'],
    ['  two\nlines', '|2-\n    two\n  lines\n'],
    [' leading', "' leading'\n"],
    ['trailing ', "'trailing '\n"],
    ["it's", "it's\n"],
    ['- item', "'- item'\n"],
    ['yes', '"yes"\n'],
    ['null', '"null"\n'],
    ['~', '"~"\n'],
    ['1.5', '"1.5"\n'],
    ['0x10', '"0x10"\n'],
    ['a\tb', '"a\\tb"\n'],
    ['a \nb', '"a \\nb"\n'],
    ['#x', "'#x'\n"],
    ['a #b', "'a #b'\n"],
    ['x:', "'x:'\n"],
    ['{a}', "'{a}'\n"],
    ['a,b', 'a,b\n'],
    ['héllo', 'héllo\n'],
  ];
  it.each(cases)('marshals %j', (input, want) => {
    expect(marshalYamlString(input)).toBe(want);
  });

  it('folds long lines at 80 columns as yaml.v2 does by default', () => {
    const words = 'word '.repeat(20).trim();
    expect(marshalYamlString(words)).toBe(`${'word '.repeat(17).trim()}\n  word word word\n`);
    expect(marshalYamlString(`x: ${words}`)).toBe(
      `'x: ${'word '.repeat(16).trim()}\n  word word word word'\n`,
    );
  });

  it('indents continuation lines by indent x 2 spaces inside a document', () => {
    const text = 'data:\n  script: {{YamlQuote .Script 2}}';
    expect(render(text, { Script: '#!/bin/sh\necho hi' })).toBe(
      'data:\n  script: |-\n      #!/bin/sh\n      echo hi\n    ',
    );
  });
});

describe('limits', () => {
  it('stops runaway template recursion with a clear error', () => {
    const text =
      '{{define "r"}}{{if .}}{{template "r" (SubtractInt . 1)}}{{end}}{{end}}{{template "r" 5000}}';
    expect(() => render(text)).toThrow(TemplateError);
    expect(() => render(text)).toThrow(/exceeded maximum template depth \(200\)/);
    expect(
      render(
        '{{define "r"}}{{if .}}x{{template "r" (SubtractInt . 1)}}{{end}}{{end}}{{template "r" 3}}',
      ),
    ).toBe('xxx');
  });

  it('renders a CL2-sized config quickly', () => {
    const lines = ['{{$N := DefaultParam .N 1000}}'];
    lines.push(
      '{{range $i := Loop $N}}- name: ns-{{$i}}\n  replicas: {{RandIntRange 1 5}}\n{{end}}',
    );
    const output = render(lines.join('\n'));
    expect(output.match(/^- name: ns-\d+$/gm)?.length).toBe(1000);
    expect(output).toContain('- name: ns-999\n  replicas: ');
  });
});
