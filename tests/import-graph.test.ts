import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Dependencies between the server's parts point one way. A part is a folder under src/ or a
 * file directly in it; type-only imports count, since they tie two parts as tightly for a reader.
 * The client (src/client) and the explorer's browser code are separate programs, left out.
 */
const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const SEPARATE = ['client', join('explorer', 'browser')];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (SEPARATE.includes(relative(SRC, path))) return [];
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function partOf(file: string): string {
  const [first, ...rest] = relative(SRC, file).split(sep);
  return rest.length > 0 ? `${first}/` : first!.replace(/\.ts$/, '');
}

/** Part → the parts it imports from. */
function dependencies(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(SRC)) {
    const from = partOf(file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), fileName.replace(/\.js$/, '.ts'));
      const to = partOf(target);
      if (!relative(SRC, target).startsWith('..') && to !== from) edges.add(to);
    }
  }
  return graph;
}

/** The parts that reach each other (Tarjan's strongly connected components of more than one part). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (part: string): void => {
    index.set(part, index.size);
    low.set(part, index.get(part)!);
    stack.push(part);
    for (const next of graph.get(part) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(part, Math.min(low.get(part)!, low.get(next)!));
      } else if (stack.includes(next)) {
        low.set(part, Math.min(low.get(part)!, index.get(next)!));
      }
    }
    if (low.get(part) !== index.get(part)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      component.push(member);
    } while (member !== part);
    if (component.length > 1) found.push(component.sort());
  };
  for (const part of graph.keys()) if (!index.has(part)) visit(part);
  return found;
}

describe('dependencies between parts of src/', () => {
  const graph = dependencies();

  it('form no cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('keep realtime/ free of the services and of GraphQL context: it declares what it needs', () => {
    expect([...graph.get('realtime/')!].filter((part) => ['auth/', 'context', 'resolvers/', 'schema'].includes(part))).toEqual([]);
  });

  it('are read from the source: a part the test cannot see would pass it vacuously', () => {
    expect(graph.get('server')).toContain('realtime/');
    expect(graph.get('auth/')).toContain('db/');
  });
});

describe('the cycle finder', () => {
  it('finds a cycle through three parts and none in a chain', () => {
    const graph = new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['a'])]]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c']]);
    expect(cycles(new Map([['a', new Set(['b'])], ['b', new Set(['c'])]]))).toEqual([]);
  });
});
