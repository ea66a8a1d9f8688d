/** Finds English left on a page: ASCII words in visible text and in accessible names, hints and titles. */
import type { Page } from 'playwright-core';

/**
 * ASCII words (2+ letters) in the page's text and in aria-label, placeholder, title and alt
 * attributes, minus `allowed` (people's names, the product name, device labels the OS gives).
 */
export async function asciiWords(page: Page, allowed: readonly string[]): Promise<string[]> {
  const found = await page.evaluate(() => {
    const texts: string[] = [document.body.innerText];
    for (const el of document.body.querySelectorAll('*')) {
      for (const attr of ['aria-label', 'placeholder', 'title', 'alt']) {
        const v = el.getAttribute(attr);
        if (v) texts.push(v);
      }
    }
    // Device names come from the operating system, not from us.
    const devices = [...document.querySelectorAll('select[data-testid$="-select"]:not([data-testid="language-select"]) option')].map(
      (o) => o.textContent ?? '',
    );
    return { texts, devices };
  });
  const ok = new Set([...allowed, ...found.devices.flatMap((d) => d.match(/[A-Za-z]{2,}/g) ?? [])]);
  const words = found.texts.flatMap((t) => t.match(/[A-Za-z]{2,}/g) ?? []);
  return [...new Set(words.filter((w) => !ok.has(w)))];
}
