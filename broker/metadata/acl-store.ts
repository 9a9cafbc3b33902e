/**
 * ACL entries in spool.db, one row each (broker/security/acl.ts is the model). Entries are looked up
 * by principal (indexed), the principal's and User:*'s together, on each authorization that misses
 * the authorizer's cache.
 */
import type Database from 'better-sqlite3';
import type { AclEntry } from '../security/acl.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS acls (
  principal TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_name TEXT NOT NULL,
  pattern_type TEXT NOT NULL,
  operation TEXT NOT NULL,
  permission TEXT NOT NULL,
  host TEXT NOT NULL,
  PRIMARY KEY (principal, resource_type, resource_name, pattern_type, operation, permission, host)
) WITHOUT ROWID;
`;

interface AclRow {
  principal: string;
  resource_type: AclEntry['resourceType'];
  resource_name: string;
  pattern_type: AclEntry['patternType'];
  operation: AclEntry['operation'];
  permission: AclEntry['permission'];
  host: string;
}

function entryOf(row: AclRow): AclEntry {
  return { principal: row.principal, resourceType: row.resource_type, resourceName: row.resource_name, patternType: row.pattern_type, operation: row.operation, permission: row.permission, host: row.host };
}

export class AclStore {
  private readonly db: Database.Database;
  private readonly ofPrincipal: Database.Statement<[string], AclRow>;

  constructor(db: Database.Database) {
    this.db = db;
    db.exec(SCHEMA);
    this.ofPrincipal = db.prepare("SELECT * FROM acls WHERE principal = ? OR principal = 'User:*'");
  }

  /** Adds entries (an entry already present is left as is); answers how many were new. */
  add(entries: readonly AclEntry[]): number {
    const insert = this.db.prepare('INSERT OR IGNORE INTO acls VALUES (@principal, @resourceType, @resourceName, @patternType, @operation, @permission, @host)');
    return this.db.transaction(() => entries.reduce((added, entry) => added + insert.run(entry).changes, 0))();
  }

  /** Removes the given entries exactly; answers those that existed. */
  remove(entries: readonly AclEntry[]): AclEntry[] {
    const del = this.db.prepare(
      'DELETE FROM acls WHERE principal = @principal AND resource_type = @resourceType AND resource_name = @resourceName AND pattern_type = @patternType AND operation = @operation AND permission = @permission AND host = @host',
    );
    return this.db.transaction(() => entries.filter((entry) => del.run(entry).changes === 1))();
  }

  forPrincipal(principal: string): AclEntry[] {
    return this.ofPrincipal.all(principal).map(entryOf);
  }

  all(): AclEntry[] {
    return (this.db.prepare('SELECT * FROM acls ORDER BY principal, resource_type, resource_name, operation').all() as AclRow[]).map(entryOf);
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS count FROM acls').get() as { count: number }).count;
  }
}
