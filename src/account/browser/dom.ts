// A few lines of DOM building instead of a framework: the page is small, and stays small.
import type { DeviceType } from '../../client/index.js';

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | boolean | ((event: Event) => void) | undefined>;

/** An element with attributes (`on…` ones as listeners, booleans as present or not) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else if (typeof value === 'string') element.setAttribute(name, value);
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

const SVG = 'http://www.w3.org/2000/svg';
// 24×24 outlines: a screen, a phone, a tablet, a TV; a generic chip for everything else.
const ICON_PATHS: Partial<Record<DeviceType, string>> & { OTHER: string } = {
  DESKTOP: 'M3 5h18v11H3zM8 20h8M12 16v4',
  MOBILE: 'M7 2h10v20H7zM11 18h2',
  TABLET: 'M4 3h16v18H4zM11 18h2',
  TV: 'M2 5h20v12H2zM7 21l5-4 5 4',
  OTHER: 'M6 6h12v12H6zM9 2v4M15 2v4M9 18v4M15 18v4M2 9h4M2 15h4M18 9h4M18 15h4',
};

/** The icon of a kind of device, hidden from screen readers (the row says what it is in words). */
export function deviceIcon(type: DeviceType): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', ICON_PATHS[type] ?? ICON_PATHS.OTHER);
  svg.append(path);
  return svg;
}
