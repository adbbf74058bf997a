// The client is a module of its own: usable in browsers and React Native, so no server code and no
// runtime dependency but graphql-ws's client; and every document it sends fits the committed schema.
import { readdir, readFile } from 'node:fs/promises';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import * as operations from '../src/client/operations.js';
import { SESSION_ENDED_REASON, SocketCloseCode } from '../src/client/session-socket.js';
import { sessionEndedCloseReason, TOKEN_EXPIRED_CLOSE_CODE, UNAUTHORIZED_CLOSE_CODE } from '../src/realtime/close-codes.js';

const clientDir = new URL('../src/client/', import.meta.url);

async function clientSources(): Promise<Array<{ file: string; text: string }>> {
  const files = (await readdir(clientDir)).filter((file) => file.endsWith('.ts'));
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(new URL(file, clientDir), 'utf8') })));
}

describe('src/client', () => {
  it('imports nothing outside src/client but graphql-ws/client', async () => {
    const outside: string[] = [];
    for (const { file, text } of await clientSources()) {
      for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        if (!specifier!.startsWith('./') && specifier !== 'graphql-ws/client') outside.push(`${file}: ${specifier}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('sends only documents that validate against schema.graphql, each with an operation name', async () => {
    const schema = buildSchema(await readFile(new URL('../schema.graphql', import.meta.url), 'utf8'));
    const documents = Object.entries(operations).filter(([, value]) => typeof value === 'string') as Array<[string, string]>;
    expect(documents.length).toBeGreaterThanOrEqual(11);
    for (const [name, document] of documents) {
      const errors = validate(schema, parse(document)).map((error) => `${name}: ${error.message}`);
      expect(errors).toEqual([]);
      expect(operations.operationNameOf(document), name).toMatch(/^[A-Z]\w+$/);
    }
  });

  it("acts on the server's own close codes and reasons", () => {
    expect(SocketCloseCode).toEqual({ Unauthorized: UNAUTHORIZED_CLOSE_CODE, TokenExpired: TOKEN_EXPIRED_CLOSE_CODE });
    expect(SESSION_ENDED_REASON.exec(sessionEndedCloseReason('PASSWORD_CHANGED'))?.[1]).toBe('PASSWORD_CHANGED');
  });
});
