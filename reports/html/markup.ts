/**
 * A tagged template for HTML in which every interpolated value is escaped unless it is already
 * markup (Html, produced by this template or by `trusted`). Renderers build pages only with it, so
 * a scenario or subject string can never become markup by accident.
 */
import { esc } from '../escape.ts';

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type Child = Html | string | number | boolean | null | undefined | readonly Child[];

function render(child: Child): string {
  if (child === null || child === undefined || child === false) return '';
  if (child instanceof Html) return child.value;
  if (Array.isArray(child)) return child.map(render).join('');
  return esc(child);
}

export function html(strings: TemplateStringsArray, ...values: Child[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/**
 * Markup produced by code we control and that escapes its own text: the SVG vega renders, and the
 * report's constant CSS. Never pass data through this.
 */
export function trusted(markup: string): Html {
  return new Html(markup);
}

export function join(parts: readonly Child[], separator: Child = ''): Html {
  const sep = render(separator);
  return new Html(parts.map(render).join(sep));
}
