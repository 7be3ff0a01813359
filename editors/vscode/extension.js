// The dffix extension: starts `dffix server` for Dockerfiles and lets vscode-languageclient
// do the rest (diagnostics, quick fixes, source.fixAll.dffix, format document / on save).
'use strict';

const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function settings() {
  const config = vscode.workspace.getConfiguration('dffix');
  const options = {};
  const select = config.get('select');
  if (Array.isArray(select) && select.length) options.select = select;
  const ignore = config.get('ignore');
  if (Array.isArray(ignore) && ignore.length) options.ignore = ignore;
  const unsafe = config.get('unsafeFixes');
  if (typeof unsafe === 'boolean') options.unsafeFixes = unsafe;
  const file = config.get('config');
  if (file) options.config = file;
  return options;
}

function start() {
  const command = vscode.workspace.getConfiguration('dffix').get('path') || 'dffix';
  const serverOptions = { command, args: ['server'] };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'dockerfile' },
      { scheme: 'untitled', language: 'dockerfile' },
    ],
    initializationOptions: settings(),
    // Sends workspace/didChangeConfiguration with the `dffix` section on every change.
    synchronize: { configurationSection: 'dffix' },
  };
  client = new LanguageClient('dffix', 'dffix', serverOptions, clientOptions);
  return client.start();
}

function activate(context) {
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      // Another dffix command needs another server process.
      if (event.affectsConfiguration('dffix.path') && client) {
        await client.stop();
        await start();
      }
    }),
    vscode.commands.registerCommand('dffix.restart', async () => {
      if (client) await client.stop();
      await start();
    }),
  );
  return start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
