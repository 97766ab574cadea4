/** Attributes of `h`: `class`, `for`-less plain attributes, and `on*` listeners. Never `style` (the CSP refuses inline styles). */
type Attributes = Record<string, string | number | boolean | EventListener | undefined>;
export type Child = Node | string | number | null | undefined | false;

/** An element with attributes and children: text children are text nodes, so nothing is ever parsed as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A section with a heading. */
export const section = (title: string, ...children: Child[]) => h('section', {}, h('h2', {}, title), ...children);

/** A short paragraph telling the operator what to do next (an empty state, an error). */
export const note = (text: string, kind: 'empty' | 'error' = 'empty') => h('p', { class: `note ${kind}`, role: kind === 'error' ? 'alert' : undefined }, text);
