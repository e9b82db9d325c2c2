import { describe, expect, it } from 'vitest';
import { byId, findAll, parseXml, textOf } from './xml.ts';

describe('the tests’ XML well-formedness checker', () => {
  it('parses a document with declaration, doctype, comments, CDATA and references', () => {
    const root = parseXml(
      '<?xml version="1.0"?><!DOCTYPE html><!-- c --><a x="1" y=\'&lt;&amp;&#65;&#x42;\'><b id="k">t&gt;<![CDATA[<raw>]]></b><c/></a>\n',
    );
    expect(root.name).toBe('a');
    expect(root.attrs).toEqual({ x: '1', y: '<&AB' });
    expect(textOf(byId(root, 'k')!)).toBe('t><raw>');
    expect(findAll(root, (e) => e.name === 'c')).toHaveLength(1);
  });

  it.each([
    ['unclosed element', '<a><b></a>'],
    ['mismatched close', '<a></b>'],
    ['raw < in text', '<a>1 < 2</a>'],
    ['bare ampersand', '<a>a & b</a>'],
    ['undefined entity', '<a>&nbsp;</a>'],
    ['raw < in attribute', '<a x="<"/>'],
    ['unquoted attribute', '<a x=1/>'],
    ['duplicate attribute', '<a x="1" x="2"/>'],
    ['two roots', '<a/><b/>'],
    ['text after root', '<a/>x'],
    [']]> in text', '<a>]]></a>'],
    ['NUL character', '<a>\u0000</a>'],
    ['-- in comment', '<a><!-- a -- b --></a>'],
  ])('rejects %s', (_what, doc) => {
    expect(() => parseXml(doc)).toThrow();
  });
});
