/** What a test needs to compare ICU messages across languages: the arguments each one takes. */
import { IntlMessageFormat } from 'intl-messageformat';

/** The parts of the parser's elements the walk reads: literals and `#` carry no name. */
interface Element {
  type: number;
  value?: unknown;
  options?: Record<string, { value: Element[] }>;
  children?: Element[];
}

function collect(elements: readonly Element[], into: Set<string>): Set<string> {
  for (const el of elements) {
    // Literal (0) and `#` (7) have no argument of their own; every other element names one.
    if (el.type !== 0 && el.type !== 7 && typeof el.value === 'string') into.add(el.value);
    for (const option of Object.values(el.options ?? {})) collect(option.value, into);
    if (el.children) collect(el.children, into);
  }
  return into;
}

/**
 * The argument names of an ICU message, sorted: `{name}`, and the counted argument of a plural,
 * wherever they sit. Throws if the message does not parse, so calling it checks the syntax too.
 */
export function messageArguments(message: string): string[] {
  const ast = new IntlMessageFormat(message, 'en', undefined, { ignoreTag: true }).getAst() as unknown as Element[];
  return [...collect(ast, new Set())].sort();
}
