/**
 * Exclusive XML Canonicalization 1.0 without comments (https://www.w3.org/TR/xml-exc-c14n/),
 * the transform SAML signatures use. Written here because xml-crypto's own implementation
 * loads node:crypto, which this Worker does not enable; signature maths runs on WebCrypto.
 *
 * Rules applied (§3 of the spec, over C14N 1.0 §2.3): comments dropped; an element renders only
 * the namespaces it visibly uses (its own prefix and its attributes' prefixes) plus any in the
 * InclusiveNamespaces PrefixList, and only when an output ancestor has not rendered the same
 * binding; namespace nodes sorted by prefix (default first), attributes by namespace URI then
 * local name; text and attribute values escaped as C14N prescribes.
 */
import type { Element, Node } from '@xmldom/xmldom';

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;
const PI = 7;
const XMLNS = 'http://www.w3.org/2000/xmlns/';

const escText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
const escAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\t/g, '&#x9;').replace(/\n/g, '&#xA;').replace(/\r/g, '&#xD;');

/** The namespace bound to `prefix` where `el` sits ('' prefix = default namespace). */
function inScope(el: Element, prefix: string): string | null {
  for (let n: Node | null = el; n && n.nodeType === ELEMENT; n = n.parentNode) {
    const e = n as Element;
    const attr = prefix ? e.getAttributeNodeNS(XMLNS, prefix) : e.getAttributeNode('xmlns');
    if (attr) return attr.value;
  }
  return null;
}

function render(node: Node, rendered: Map<string, string>, inclusive: Set<string>, skip: Node | null, out: string[]): void {
  if (node === skip) return;
  if (node.nodeType === TEXT || node.nodeType === CDATA) {
    out.push(escText(node.nodeValue ?? ''));
    return;
  }
  if (node.nodeType === PI) {
    out.push(`<?${(node as any).target}${node.nodeValue ? ` ${node.nodeValue}` : ''}?>`);
    return;
  }
  if (node.nodeType !== ELEMENT) return;
  const el = node as Element;
  const prefix = el.prefix ?? '';
  const needed = new Map<string, string>();
  needed.set(prefix, el.namespaceURI ?? '');
  const attrs: Array<{ ns: string; local: string; name: string; value: string }> = [];
  for (let i = 0; i < el.attributes.length; i++) {
    const a = el.attributes.item(i)!;
    if (a.namespaceURI === XMLNS || a.name === 'xmlns') {
      const p = a.name === 'xmlns' ? '' : a.localName!;
      if (inclusive.has(p === '' ? '#default' : p)) needed.set(p, a.value);
      continue;
    }
    if (a.prefix && a.prefix !== 'xml') needed.set(a.prefix, a.namespaceURI ?? '');
    attrs.push({ ns: a.namespaceURI ?? '', local: a.localName ?? a.name, name: a.name, value: a.value });
  }
  for (const p of inclusive) {
    const key = p === '#default' ? '' : p;
    const uri = inScope(el, key);
    if (uri !== null) needed.set(key, uri);
  }
  const nsOut: Array<[string, string]> = [];
  const next = new Map(rendered);
  for (const [p, uri] of needed) {
    const have = rendered.get(p) ?? '';
    // An unprefixed element outside any namespace only needs xmlns="" when an ancestor set a default.
    if (have === uri) continue;
    nsOut.push([p, uri]);
    next.set(p, uri);
  }
  nsOut.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  attrs.sort((a, b) => (a.ns === b.ns ? (a.local < b.local ? -1 : a.local > b.local ? 1 : 0) : a.ns < b.ns ? -1 : 1));
  out.push(`<${el.tagName}`);
  for (const [p, uri] of nsOut) out.push(p ? ` xmlns:${p}="${escAttr(uri)}"` : ` xmlns="${escAttr(uri)}"`);
  for (const a of attrs) out.push(` ${a.name}="${escAttr(a.value)}"`);
  out.push('>');
  for (let c = el.firstChild; c; c = c.nextSibling) render(c, next, inclusive, skip, out);
  out.push(`</${el.tagName}>`);
}

/**
 * @param skip a descendant to leave out (the enveloped-signature transform removes the Signature).
 * @param inclusivePrefixes the InclusiveNamespaces PrefixList, `#default` for the default namespace.
 */
export function excC14n(el: Element, skip: Node | null = null, inclusivePrefixes: string[] = []): string {
  const out: string[] = [];
  render(el, new Map(), new Set(inclusivePrefixes), skip, out);
  return out.join('');
}
