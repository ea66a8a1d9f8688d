/**
 * A script at the top of the page's head, written at build time when the chunk names are known.
 * On a meeting link it starts, before the app's own code has arrived, the two things the meeting
 * page waits for next: the meeting's public details (a GET the app takes over, see
 * web/src/lib/meeting-lookup.ts) and the meeting page's code and styles (modulepreload). Without
 * it both start only once the app's entry has loaded and run. Other pages fetch nothing more.
 */
import type { Plugin } from 'vite';
import { HEAD_START_KEY, MEETING_PATH } from '../src/lib/meeting-path.ts';

/** The bits of a Rollup output chunk this reads. */
export interface ChunkLike {
  type: 'chunk' | 'asset';
  fileName: string;
  facadeModuleId?: string | null;
  imports?: string[];
  viteMetadata?: { importedCss: Set<string> };
}

/** The file names the meeting page loads: its chunk, every chunk it imports, and their styles. */
export function meetingPageFiles(bundle: Record<string, ChunkLike>, pageModule = '/components/MeetingPage.svelte'): string[] {
  const page = Object.values(bundle).find((c) => c.type === 'chunk' && c.facadeModuleId?.endsWith(pageModule));
  if (!page) throw new Error(`meeting-preload: no chunk for ${pageModule}`);
  const files = new Set<string>();
  const visit = (chunk: ChunkLike) => {
    if (files.has(chunk.fileName)) return;
    files.add(chunk.fileName);
    for (const css of chunk.viteMetadata?.importedCss ?? []) files.add(css);
    for (const name of chunk.imports ?? []) {
      const dep = bundle[name];
      if (dep) visit(dep);
    }
  };
  visit(page);
  return [...files];
}

/** The head script for these files (paths from the site root). */
export function headScript(files: string[]): string {
  return `(() => {
  const m = ${MEETING_PATH.toString()}.exec(location.pathname);
  if (!m) return;
  const path = '/api/meetings/' + m[1];
  const answer = fetch(path, { method: 'GET', headers: { accept: 'application/json' } });
  answer.catch(() => {});
  window[${JSON.stringify(HEAD_START_KEY)}] = { path, answer };
  for (const file of ${JSON.stringify(files.map((f) => `/${f}`))}) {
    const link = document.createElement('link');
    if (file.endsWith('.css')) Object.assign(link, { rel: 'preload', as: 'style' });
    else link.rel = 'modulepreload';
    // As the app's own loader asks for them, or the browser fetches each twice.
    link.crossOrigin = '';
    link.href = file;
    document.head.append(link);
  }
})();`;
}

export function meetingPreload(): Plugin {
  return {
    name: 'sealroom-meeting-preload',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        if (!ctx.bundle) return;
        // What the page loads anyway (the entry and its imports) is not asked for twice.
        const files = meetingPageFiles(ctx.bundle as Record<string, ChunkLike>).filter((f) => !html.includes(f));
        return [{ tag: 'script', injectTo: 'head', children: headScript(files) }];
      },
    },
  };
}
