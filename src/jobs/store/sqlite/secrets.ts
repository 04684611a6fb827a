/** SecretStore on SQLite: the first instance to ask generates the secret; the rest read it. */
import type Database from 'better-sqlite3';
import type { SecretStore } from '../store.js';

export function createSqliteSecrets(db: Database.Database): SecretStore {
  const insert = db.prepare('INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING');
  const select = db.prepare('SELECT value FROM secrets WHERE name = ?').pluck();
  return {
    async getOrCreateSecret(name, generate) {
      insert.run(name, generate());
      return select.get(name) as string;
    },
  };
}
