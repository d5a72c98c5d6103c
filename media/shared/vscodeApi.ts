// The webview side of VS Code's API, acquired once per page (acquireVsCodeApi may be called only
// once): each panel's bundle imports this instead of declaring it again.
export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export const vscode: VsCodeApi = acquireVsCodeApi();
