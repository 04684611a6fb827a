/**
 * A table holding one declared record (records.ts): its INSERT, UPDATE and keyed SELECT
 * are written from the declaration's columns, and rows come back as records.
 */
import type Database from 'better-sqlite3';
import { rowCodec, type Fields, type RecordOf } from '../shape.js';

export interface RecordTable<S extends Fields> {
  /** Inserts; a row with the same key is an error. */
  insert(record: RecordOf<S>): void;
  /** Inserts unless a row with the same key is there (that one is kept). */
  insertOrKeep(record: RecordOf<S>): void;
  /** Rewrites every column of the row with the record's key. */
  update(record: RecordOf<S>): void;
  get(key: string): RecordOf<S> | undefined;
  /** The rows a `SELECT *` statement finds, as records. */
  all(statement: Database.Statement, ...params: unknown[]): Array<RecordOf<S>>;
}

export function recordTable<S extends Fields>(db: Database.Database, table: string, fields: S, key: keyof S & string): RecordTable<S> {
  const codec = rowCodec(fields);
  const keyColumn = fields[key]!.column;
  const insertSql = `INSERT INTO ${table} (${codec.columns.join(', ')}) VALUES (${codec.columns.map((c) => `@${c}`).join(', ')})`;
  const insert = db.prepare(insertSql);
  const insertOrKeep = db.prepare(`${insertSql} ON CONFLICT(${keyColumn}) DO NOTHING`);
  const assignments = codec.columns.filter((c) => c !== keyColumn).map((c) => `${c} = @${c}`);
  const update = db.prepare(`UPDATE ${table} SET ${assignments.join(', ')} WHERE ${keyColumn} = @${keyColumn}`);
  const select = db.prepare(`SELECT * FROM ${table} WHERE ${keyColumn} = ?`);
  const fromRow = (row: unknown) => codec.fromRow(row as Parameters<typeof codec.fromRow>[0]);
  return {
    insert: (record) => void insert.run(codec.toRow(record)),
    insertOrKeep: (record) => void insertOrKeep.run(codec.toRow(record)),
    update: (record) => void update.run(codec.toRow(record)),
    get(value) {
      const row = select.get(value);
      return row === undefined ? undefined : fromRow(row);
    },
    all: (statement, ...params) => statement.all(...params).map(fromRow),
  };
}
