/**
 * How a record is stored, declared once: each field names its SQLite column and its kind.
 * The record and row types are derived from a declaration (mapped types), and so are the
 * codecs every backend uses: rows for SQLite, JSON documents and hash fields for Redis.
 */

/** One kind of value: how it sits in a SQLite cell and in a Redis hash field (always a string). */
export interface Kind<T, Cell extends string | number | null> {
  toCell(value: T): Cell;
  fromCell(cell: Cell): T;
  toText(value: T): string;
  fromText(text: string): T;
  /** The value of a null kind: what an absent hash field or a document written before the field existed reads as. */
  readonly empty?: T;
}

export interface Field<C extends string = string, T = unknown, Cell extends string | number | null = string | number | null> {
  readonly column: C;
  readonly kind: Kind<T, Cell>;
  /** What documents written before this field existed read as (its migration's DEFAULT, for a non-null field). */
  readonly fallback?: T;
}

/** A declaration: field name -> column and kind. */
export type Fields = Record<string, Field>;

type ValueOf<F> = F extends { kind: { fromCell(cell: never): infer T } } ? T : never;
type CellOf<F> = F extends { kind: { toCell(value: never): infer Cell } } ? Cell : never;

/** The record a declaration describes: field name -> value (each field's TSDoc comes along). */
export type RecordOf<S extends Fields> = { -readonly [K in keyof S]: ValueOf<S[K]> };

/** Its SQLite row: column name -> cell. */
export type RowOf<S extends Fields> = { -readonly [K in keyof S as S[K]['column']]: CellOf<S[K]> };

export function field<C extends string, T, Cell extends string | number | null>(column: C, kind: Kind<T, Cell>, options: { fallback?: T } = {}): Field<C, T, Cell> {
  return options.fallback === undefined ? { column, kind } : { column, kind, fallback: options.fallback };
}

const identity = <T>(value: T): T => value;

export const text: Kind<string, string> = { toCell: identity, fromCell: identity, toText: identity, fromText: identity };

/** Text that only ever holds one of `T`'s values (a state, a status): stored as written, read back as `T`. */
export const textOf = <T extends string>(): Kind<T, string> => text as Kind<T, string>;

export const nullableText: Kind<string | null, string | null> = {
  toCell: identity,
  fromCell: identity,
  // A hash cannot hold a null: the field is left out (textCodec), and an empty one reads as null too.
  toText: (value) => value ?? '',
  fromText: (value) => value || null,
  empty: null,
};

export const integer: Kind<number, number> = { toCell: identity, fromCell: identity, toText: String, fromText: Number };

/** A boolean, kept as 1 or 0 (SQLite has no booleans; in a hash, '1' or '0'). */
export const flag: Kind<boolean, number> = {
  toCell: (value) => (value ? 1 : 0),
  fromCell: (cell) => cell === 1,
  toText: (value) => (value ? '1' : '0'),
  fromText: (value) => value === '1',
  empty: false,
};

function entries<S extends Fields>(fields: S): Array<[keyof S & string, Field]> {
  return Object.entries(fields) as Array<[keyof S & string, Field]>;
}

/** A field's value when a document or hash has none: its fallback, its kind's empty value, or an error (a store that lost data). */
function absent(name: string, f: Field): unknown {
  if (f.fallback !== undefined) return f.fallback;
  if ('empty' in f.kind) return f.kind.empty;
  throw new Error(`stored record has no ${name}`);
}

export interface RowCodec<S extends Fields> {
  /** Column names in declaration order. */
  readonly columns: readonly string[];
  toRow(record: RecordOf<S>): RowOf<S>;
  fromRow(row: RowOf<S>): RecordOf<S>;
}

export function rowCodec<S extends Fields>(fields: S): RowCodec<S> {
  const all = entries(fields);
  return {
    columns: all.map(([, f]) => f.column),
    toRow(record) {
      const row: Record<string, unknown> = {};
      for (const [name, f] of all) row[f.column] = f.kind.toCell(record[name]);
      return row as RowOf<S>;
    },
    fromRow(row) {
      const cells = row as Record<string, string | number | null>;
      const record: Record<string, unknown> = {};
      for (const [name, f] of all) record[name] = f.kind.fromCell(cells[f.column] ?? null);
      return record as RecordOf<S>;
    },
  };
}

/** A record as one JSON document keyed by field name (how Redis keeps jobs). */
export interface DocumentCodec<S extends Fields> {
  encode(record: RecordOf<S>): string;
  decode(json: string): RecordOf<S>;
}

export function documentCodec<S extends Fields>(fields: S): DocumentCodec<S> {
  const all = entries(fields);
  return {
    // Only declared fields, in declaration order: whatever else a caller's object carries stays out.
    encode: (record) => JSON.stringify(Object.fromEntries(all.map(([name]) => [name, record[name]]))),
    decode(json) {
      const document = JSON.parse(json) as Record<string, unknown>;
      const record: Record<string, unknown> = {};
      for (const [name, f] of all) record[name] = document[name] === undefined ? absent(name, f) : document[name];
      return record as RecordOf<S>;
    },
  };
}

/** Fields as hash fields of their own (field name -> text), so each can change alone (HSET). */
export interface TextCodec<S extends Fields> {
  /** Null values are left out: a hash has no null. */
  encode(values: Partial<RecordOf<S>>): Record<string, string>;
  decode(hash: Record<string, string>): RecordOf<S>;
}

export function textCodec<S extends Fields>(fields: S): TextCodec<S> {
  const all = entries(fields);
  return {
    encode(values) {
      const hash: Record<string, string> = {};
      for (const [name, f] of all) {
        const value = values[name];
        if (value !== undefined && value !== null) hash[name] = f.kind.toText(value);
      }
      return hash;
    },
    decode(hash) {
      const record: Record<string, unknown> = {};
      for (const [name, f] of all) {
        const value = hash[name];
        record[name] = value === undefined ? absent(name, f) : f.kind.fromText(value);
      }
      return record as RecordOf<S>;
    },
  };
}
