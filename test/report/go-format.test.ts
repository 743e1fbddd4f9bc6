import { describe, expect, it } from 'vitest';
import {
  durationSeconds,
  goFormatFloatG,
  goJsonIndent,
  goJsonNumber,
  goJsonString,
  goXmlEscape,
} from '../../src/report/go-format.js';

describe("Go's encoding/json", () => {
  it('escapes <, > and & as \\u003c, \\u003e, \\u0026, and U+2028/2029', () => {
    expect(goJsonString('a<b>&c')).toBe('"a\\u003cb\\u003e\\u0026c"');
    expect(goJsonString('x\u2028y\u2029')).toBe('"x\\u2028y\\u2029"');
  });

  it('escapes quotes, backslashes and control characters the way Go 1.22+ does', () => {
    expect(goJsonString('"\\\n\r\t')).toBe('"\\"\\\\\\n\\r\\t"');
    expect(goJsonString('\b\f')).toBe('"\\b\\f"');
    expect(goJsonString('\u0001\u001f')).toBe('"\\u0001\\u001f"');
    expect(goJsonString('é€😀')).toBe('"é€😀"');
  });

  it('replaces a lone surrogate (invalid UTF-8 in Go) with U+FFFD', () => {
    expect(goJsonString('a\ud800b')).toBe('"a\\ufffdb"');
  });

  it('prints floats with shortest digits and exponents below 1e-6 and from 1e21', () => {
    expect(goJsonNumber(155.555555)).toBe('155.555555');
    expect(goJsonNumber(0.000001)).toBe('0.000001');
    expect(goJsonNumber(1e-7)).toBe('1e-7');
    expect(goJsonNumber(1.5e-7)).toBe('1.5e-7');
    expect(goJsonNumber(1e21)).toBe('1e+21');
    expect(goJsonNumber(123456789012345680000)).toBe('123456789012345680000');
    expect(goJsonNumber(-0)).toBe('-0');
    expect(() => goJsonNumber(NaN)).toThrow(/NaN/);
  });

  it('sorts map keys by their UTF-8 bytes and keeps struct field order', () => {
    const text = goJsonIndent({
      version: 'v1',
      dataItems: [
        { labels: { b: '1', B: '2', a: '' }, unit: 'ms', data: { Perc99: 3, Perc50: 1 } },
      ],
    });
    expect(text).toBe(
      '{\n  "version": "v1",\n  "dataItems": [\n    {\n      "data": {\n        "Perc50": 1,\n        "Perc99": 3\n      },\n      "unit": "ms",\n      "labels": {\n        "B": "2",\n        "a": "",\n        "b": "1"\n      }\n    }\n  ]\n}\n',
    );
  });

  it('omits empty labels (omitempty) and writes empty containers as {} and []', () => {
    expect(
      goJsonIndent({ version: '1.0', dataItems: [{ data: {}, unit: 'ms', labels: {} }] }),
    ).toBe(
      '{\n  "version": "1.0",\n  "dataItems": [\n    {\n      "data": {},\n      "unit": "ms"\n    }\n  ]\n}\n',
    );
    expect(goJsonIndent({ version: '1.0', dataItems: [] })).toBe(
      '{\n  "version": "1.0",\n  "dataItems": []\n}\n',
    );
  });
});

describe("Go's encoding/xml and strconv", () => {
  it('EscapeText: entities for quotes, tab, newline, CR; U+FFFD for characters XML forbids', () => {
    expect(goXmlEscape(`a"b'c&<>\t\n\r`)).toBe('a&#34;b&#39;c&amp;&lt;&gt;&#x9;&#xA;&#xD;');
    expect(goXmlEscape('x\u0001y\uffffz')).toBe('x\ufffdy\ufffdz');
    expect(goXmlEscape('😀é')).toBe('😀é');
  });

  it("FormatFloat(v, 'g', -1, 64): exponent form below 1e-4 and from 1e6", () => {
    expect(goFormatFloatG(1843.90811)).toBe('1843.90811');
    expect(goFormatFloatG(0)).toBe('0');
    expect(goFormatFloatG(0.0001)).toBe('0.0001');
    expect(goFormatFloatG(0.000104)).toBe('0.000104');
    expect(goFormatFloatG(0.00004)).toBe('4e-05');
    expect(goFormatFloatG(999999.5)).toBe('999999.5');
    expect(goFormatFloatG(1e6)).toBe('1e+06');
    expect(goFormatFloatG(1234567.5)).toBe('1.2345675e+06');
    expect(goFormatFloatG(1.5e-10)).toBe('1.5e-10');
    expect(goFormatFloatG(2e100)).toBe('2e+100');
  });

  it('Duration.Seconds() from milliseconds goes through whole nanoseconds', () => {
    expect(durationSeconds(1_843_908.11)).toBe(1843.90811);
    expect(durationSeconds(0.104)).toBe(0.000104);
    expect(durationSeconds(20)).toBe(0.02);
  });
});
