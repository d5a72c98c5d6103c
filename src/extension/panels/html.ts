// The HTML shell of every HyperBox webview: a strict Content Security Policy (nothing by default;
// styles only from the extension's webview folder; one script, by a fresh nonce), the panel's
// stylesheet and script, and an empty #app the script fills. No data goes into this HTML: the
// panel's data travels by postMessage and is rendered as text. Pure: no `vscode` import.
import { randomBytes } from 'node:crypto';

/** A fresh nonce for one HTML document (128 bits from the system's CSPRNG, base64). */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Escapes text for a double-quoted attribute value (a policy keeps its single quotes). */
export function escapeAttribute(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/**
 * The policy: `default-src 'none'`, then only what the panel needs. `cspSource` is the webview's
 * origin for the extension's resources (vscode's `webview.cspSource`).
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export interface PanelHtmlOptions {
  title: string;
  /** The webview's resource origin (webview.cspSource). */
  cspSource: string;
  nonce: string;
  /** Webview URIs (asWebviewUri) of the panel's bundle: dist/media/<panel>.js and .css. */
  scriptUri: string;
  styleUri: string;
  /** Names the panel for tests and styles (`data-panel` on body). */
  panel: string;
}

export function panelHtml(o: PanelHtmlOptions): string {
  const attr = escapeAttribute;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(o.styleUri)}">
<title>${escapeHtml(o.title)}</title>
</head>
<body data-panel="${attr(o.panel)}">
<main id="app" data-testid="app"></main>
<script nonce="${attr(o.nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>
`;
}
