// @ts-check
// The knet extension for VS Code: the language (`.knet`) and its grammar are declared in
// package.json; this file starts `knet lsp`, the language server, over standard
// input and output, for every knet file of the workspace.
'use strict';

const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

/** @type {LanguageClient | undefined} */
let client;

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  const command = vscode.workspace.getConfiguration('knet').get('server.path', 'knet');
  const server = { command, args: ['lsp'] };
  client = new LanguageClient(
    'knet',
    'knet language server',
    { run: server, debug: server },
    {
      documentSelector: [
        { scheme: 'file', language: 'knet' },
        { scheme: 'untitled', language: 'knet' },
      ],
    },
  );
  context.subscriptions.push(client);
  await client.start();
}

async function deactivate() {
  if (client) {
    await client.stop();
  }
}

module.exports = { activate, deactivate };
