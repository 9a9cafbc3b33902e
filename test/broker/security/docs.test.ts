/** docs/security.md prints the permission table of broker/security/permissions.ts, row for row. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { httpPermissions, kafkaPermissions, permissionRows } from '../../../broker/security/permissions.js';

const doc = readFileSync(join(import.meta.dirname, '../../../docs/security.md'), 'utf8');

describe('docs/security.md', () => {
  it('lists exactly the permission table of the code', () => {
    const documented = doc.split('\n').filter((line) => /^\| `[A-Z]/.test(line));
    expect(documented).toEqual([...permissionRows(httpPermissions), ...permissionRows(kafkaPermissions)]);
  });
});
