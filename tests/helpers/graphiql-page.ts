import type { Page } from 'playwright-core';
import { waitFor } from './ws.js';

// Selectors of GraphiQL 4's markup (CodeMirror 5 editors).
const QUERY_EDITOR = '.graphiql-query-editor';
const HEADERS_EDITOR = 'section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden)';
const RESULT_PANE = '.graphiql-response .CodeMirror';

/**
 * Replaces an editor's text as a person pasting it would. `insertText` is one input event,
 * so CodeMirror's auto-closing of brackets and quotes does not double them as typed keys would.
 */
async function replaceText(page: Page, editor: string, text: string): Promise<void> {
  await page.click(`${editor} .CodeMirror`);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
}

/** Waits until GraphiQL has rendered its editors. */
export async function waitForGraphiQL(page: Page): Promise<void> {
  await page.locator(`${QUERY_EDITOR} .CodeMirror`).waitFor();
}

/**
 * Types `document` (one operation named `name`) and presses the run button. The name must differ from
 * the tab's current title: the new title is the sign that GraphiQL has parsed the new text, without
 * which the button still holds the previous operations (and opens a menu to choose among them).
 */
export async function runOperation(page: Page, name: string, document: string): Promise<void> {
  await replaceText(page, QUERY_EDITOR, document);
  await page.locator(`.graphiql-tab-active button[title="${name}"]`).waitFor();
  await page.click('.graphiql-execute-button');
}

/**
 * Runs a subscription; resolves once its `subscribe` message has left on the page's WebSocket.
 * The frame is watched from the moment the socket opens: it may leave before `runOperation` returns.
 */
export async function runSubscription(page: Page, name: string, document: string): Promise<void> {
  const subscribed = new Promise<void>((resolve) => {
    page.once('websocket', (socket) => {
      socket.on('framesent', (frame) => {
        if (String(frame.payload).includes('"type":"subscribe"')) resolve();
      });
    });
  });
  await runOperation(page, name, document);
  await subscribed;
}

/** The query editor's whole text. */
export async function queryEditorText(page: Page): Promise<string> {
  // CodeMirror 5 hangs its instance on its wrapper element; its text is the whole document, not just the lines in view.
  return page.locator(`${QUERY_EDITOR} .CodeMirror`).evaluate((element) => (element as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
}

/**
 * Runs, as a person would with Ctrl+Enter, the operation of the editor's text that begins with
 * `heading` (`mutation Login`), leaving the text as it is.
 */
export async function runOperationAt(page: Page, heading: string): Promise<void> {
  await page.locator(`${QUERY_EDITOR} .CodeMirror`).evaluate((element, wanted) => {
    const editor = (element as unknown as { CodeMirror: { getValue(): string; setCursor(line: number, ch: number): void; focus(): void } }).CodeMirror;
    const line = editor.getValue().split('\n').findIndex((text) => text.startsWith(wanted));
    if (line === -1) throw new Error(`no line starts with ${wanted}`);
    editor.focus();
    // Inside the operation, past its keyword: GraphiQL picks the operation to run from the cursor.
    editor.setCursor(line + 1, 0);
  }, heading);
  await page.keyboard.press('ControlOrMeta+Enter');
}

/** Opens the Headers tab under the query editor and types the headers in as JSON. */
export async function setHeaders(page: Page, headers: Record<string, string>): Promise<void> {
  await page.getByRole('button', { name: 'Headers', exact: true }).click();
  await replaceText(page, HEADERS_EDITOR, JSON.stringify(headers, null, 2));
  // Back to the start, so the header's name shows rather than the end of a long token.
  await page.keyboard.press('ControlOrMeta+Home');
}

/** The result pane's text once it mentions `field`, parsed: GraphiQL writes a result in one go. */
export async function waitForResult<T = { data?: Record<string, any>; errors?: unknown[] }>(page: Page, field: string): Promise<T> {
  const pane = page.locator(RESULT_PANE);
  let text = '';
  const mentionsField = async () => {
    // CodeMirror 5 hangs its instance on its wrapper element; its text is the whole result, not just the lines in view.
    text = await pane.evaluate((element) => (element as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
    return text.includes(`"${field}"`);
  };
  await waitFor(mentionsField, `a result mentioning "${field}"`);
  return JSON.parse(text) as T;
}

/** Opens the docs explorer from the sidebar, then the page of `typeName`; returns that page's text. */
export async function openDocs(page: Page, typeName: string): Promise<string> {
  await page.click('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]');
  const docs = page.locator('.graphiql-doc-explorer');
  await docs.getByRole('link', { name: typeName, exact: true }).click();
  await docs.locator('.graphiql-doc-explorer-title', { hasText: typeName }).waitFor();
  return docs.innerText();
}
