// Starts the unitsheet language server, `unitsheet lsp` over stdio, for *.ush files.
// The command is the setting unitsheet.server.path ("unitsheet" on PATH by default); the setting
// unitsheet.valueHints (on by default) is sent as the server's initializationOptions.valueHints.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function start() {
  const settings = vscode.workspace.getConfiguration("unitsheet");
  const command = settings.get("server.path", "unitsheet");
  const serverOptions = { command, args: ["lsp"], transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "unitsheet" }, { scheme: "untitled", language: "unitsheet" }],
    initializationOptions: { valueHints: settings.get("valueHints", true) },
  };
  client = new LanguageClient("unitsheet", "unitsheet language server", serverOptions, clientOptions);
  client.start().catch((err) => {
    vscode.window.showErrorMessage(`unitsheet: could not start \`${command} lsp\` (${err.message}). ` +
      "Install unitsheet, or set unitsheet.server.path to its command (e.g. /path/to/.venv/bin/unitsheet).");
  });
}

function activate(context) {
  start();
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration(async (event) => {
    if (event.affectsConfiguration("unitsheet.server.path") || event.affectsConfiguration("unitsheet.valueHints")) {
      await deactivate();
      start();  // the server again, with the new settings
    }
  }));
}

function deactivate() {
  return client ? client.stop().catch(() => undefined) : undefined;
}

module.exports = { activate, deactivate };
