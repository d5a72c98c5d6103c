// What every panel's script builds its DOM with: elements whose children are nodes or text (text
// always becomes a text node, never HTML) and whose attributes are set one by one. Styles that
// depend on data go through element.style (CSSOM), which the panels' CSP allows; a `style`
// attribute would be blocked.

export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}
