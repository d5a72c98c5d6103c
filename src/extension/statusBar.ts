// The one status bar item: renders the view status.ts computes with theme colours, a spinner
// while busy and a Markdown tooltip whose command links are trusted one by one.
import * as vscode from 'vscode';
import { statusView, type StatusInput, type StatusView } from './status';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private last: StatusView | undefined;

  constructor() {
    this.item = vscode.window.createStatusBarItem('hyperbox.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'HyperBox';
  }

  /** What the item shows now (for tests and logs). */
  get view(): StatusView | undefined {
    return this.last;
  }

  render(input: StatusInput): void {
    const v = statusView(input);
    this.last = v;
    this.item.text = v.text;
    const tooltip = new vscode.MarkdownString(v.tooltip, true);
    tooltip.isTrusted = { enabledCommands: v.linkedCommands };
    this.item.tooltip = tooltip;
    this.item.backgroundColor = v.background ? new vscode.ThemeColor(v.background) : undefined;
    this.item.command = v.command;
    this.item.accessibilityInformation = { label: v.accessibilityLabel, role: 'button' };
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
