// Every setting the server reads is in the README's configuration table, and nothing else is.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTING_NAMES } from '../src/config.js';

describe('configuration table', () => {
  it('lists every setting, with a default and a meaning', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \| ([^|]+) \|$/gm)].map(([, name, byDefault, meaning]) => ({ name, byDefault: byDefault!.trim(), meaning: meaning!.trim() }));
    expect(rows.map((row) => row.name).sort()).toEqual([...SETTING_NAMES].sort());
    for (const row of rows) {
      expect(row.byDefault.length, row.name).toBeGreaterThan(0);
      expect(row.meaning.length, row.name).toBeGreaterThan(5);
    }
  });
});
