/**
 * The declaration kit the stores derive from (shape.ts) and the named-argument Lua
 * scripts (redis/script.ts): what each kind reads back, what an older document lacking
 * a newer field reads as, and that positions come from the declaration, never the call.
 */
import { describe, expect, it } from 'vitest';
import { documentCodec, field, flag, integer, nullableText, rowCodec, text, textCodec } from '../src/jobs/store/shape.js';
import { defineScript } from '../src/jobs/store/redis/script.js';

const FIELDS = {
  id: field('id', text),
  note: field('note', nullableText),
  count: field('item_count', integer),
  done: field('done', flag),
};
const WITH_LATER_FIELDS = {
  ...FIELDS,
  comment: field('comment', nullableText),
  priority: field('priority', integer, { fallback: 5 }),
};

describe('store shape declarations', () => {
  it('a record goes to a row under its columns (flags as 1/0) and comes back whole', () => {
    const codec = rowCodec(FIELDS);
    const row = codec.toRow({ id: 'a', note: null, count: 3, done: true });
    expect(row).toEqual({ id: 'a', note: null, item_count: 3, done: 1 });
    expect(codec.columns).toEqual(['id', 'note', 'item_count', 'done']);
    expect(codec.fromRow(row)).toEqual({ id: 'a', note: null, count: 3, done: true });
    expect(codec.fromRow({ ...row, done: 0 }).done).toBe(false);
  });

  it('a document keeps only declared fields; one written before a field existed reads it as null or its fallback', () => {
    const older = documentCodec(FIELDS).encode({ id: 'a', note: 'n', count: 1, done: false, extra: 'dropped' } as never);
    expect(JSON.parse(older)).toEqual({ id: 'a', note: 'n', count: 1, done: false });
    expect(documentCodec(WITH_LATER_FIELDS).decode(older)).toEqual({ id: 'a', note: 'n', count: 1, done: false, comment: null, priority: 5 });
    expect(() => documentCodec(FIELDS).decode('{"note":null}')).toThrow(/no id/);
  });

  it('hash fields are text: nulls are left out, and absent or empty ones read as null (flags as false)', () => {
    const codec = textCodec(FIELDS);
    expect(codec.encode({ id: 'a', note: null, count: 2, done: true })).toEqual({ id: 'a', count: '2', done: '1' });
    expect(codec.encode({ done: false })).toEqual({ done: '0' });
    expect(codec.decode({ id: 'a', note: '', count: '2' })).toEqual({ id: 'a', note: null, count: 2, done: false });
  });
});

describe('Lua scripts with named arguments', () => {
  const script = defineScript({
    keys: ['first', 'second'],
    optionalKeys: ['third', 'fourth'],
    args: ['a', 'b'],
    optionalArgs: ['c'],
    lua: 'return {KEY.first, ARG.b}',
    reply: (raw) => raw,
  });

  it('binds each name to its declared position, whatever order the call names them in', () => {
    const [source, count, ...rest] = script.evalArguments({ args: { b: 2, a: 'x' }, keys: { second: 'k2', first: 'k1' } });
    expect(source).toMatch(/^local KEY = \{ first = KEYS\[1\], second = KEYS\[2\], third = KEYS\[3\], fourth = KEYS\[4\] \}\nlocal ARG = \{ a = ARGV\[1\], b = ARGV\[2\], c = ARGV\[3\] \}\n/);
    expect(count).toBe(2);
    expect(rest).toEqual(['k1', 'k2', 'x', '2']);
    expect(script.evalArguments({ keys: { first: 'k1', second: 'k2', third: 'k3' }, args: { a: 'x', b: 'y', c: 3 } }).slice(1)).toEqual([3, 'k1', 'k2', 'k3', 'x', 'y', '3']);
  });

  it('refuses a gap among optional keys (every later position would shift)', () => {
    expect(() => script.evalArguments({ keys: { first: 'k1', second: 'k2', fourth: 'k4' }, args: { a: 'x', b: 'y' } })).toThrow(/third is missing/);
  });
});
