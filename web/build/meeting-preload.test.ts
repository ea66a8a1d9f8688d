import { describe, expect, it, vi } from 'vitest';
import { HEAD_START_KEY } from '../src/lib/meeting-path.ts';
import { type ChunkLike, headScript, meetingPageFiles } from './meeting-preload.ts';

const chunk = (fileName: string, imports: string[] = [], css: string[] = [], facadeModuleId: string | null = null): ChunkLike => ({
  type: 'chunk',
  fileName,
  facadeModuleId,
  imports,
  viteMetadata: { importedCss: new Set(css) },
});

/** Runs the head script against a stand-in page at `pathname`; returns what it did. */
function runHead(code: string, pathname: string) {
  const links: { rel: string; as?: string; crossOrigin?: string; href: string }[] = [];
  const fetches: { url: string; init: RequestInit }[] = [];
  const win: Record<string, unknown> = {};
  const document = { createElement: () => ({}) as { rel: string; href: string }, head: { append: (l: { rel: string; href: string }) => links.push(l) } };
  const fetch = vi.fn((url: string, init: RequestInit) => (fetches.push({ url, init }), Promise.resolve(new Response('{}'))));
  new Function('location', 'fetch', 'document', 'window', code)({ pathname }, fetch, document, win);
  return { links, fetches, win };
}

describe('meeting page preload', () => {
  it("lists the meeting page's chunk, every chunk it imports (once, cycles included) and their styles", () => {
    const bundle: Record<string, ChunkLike> = {
      'assets/index.js': chunk('assets/index.js', ['assets/shared.js'], [], '/w/src/main.ts'),
      'assets/MeetingPage.js': chunk(
        'assets/MeetingPage.js',
        ['assets/shared.js', 'assets/messages.js'],
        ['assets/MeetingPage.css'],
        '/w/src/components/MeetingPage.svelte',
      ),
      'assets/shared.js': chunk('assets/shared.js', ['assets/messages.js']),
      'assets/messages.js': chunk('assets/messages.js', ['assets/shared.js'], ['assets/messages.css']),
      'assets/font.woff2': { type: 'asset', fileName: 'assets/font.woff2' },
    };
    expect(meetingPageFiles(bundle).sort()).toEqual([
      'assets/MeetingPage.css',
      'assets/MeetingPage.js',
      'assets/messages.css',
      'assets/messages.js',
      'assets/shared.js',
    ]);
    expect(() => meetingPageFiles({ 'assets/index.js': bundle['assets/index.js']! })).toThrow(/no chunk/);
  });

  it('on a meeting link, asks for the meeting and preloads the page; anywhere else, does nothing', () => {
    const code = headScript(['assets/MeetingPage.js', 'assets/MeetingPage.css']);
    const onMeeting = runHead(code, '/m/123456789');
    expect(onMeeting.fetches).toEqual([{ url: '/api/meetings/123456789', init: { method: 'GET', headers: { accept: 'application/json' } } }]);
    expect(onMeeting.links).toEqual([
      { rel: 'modulepreload', crossOrigin: '', href: '/assets/MeetingPage.js' },
      { rel: 'preload', as: 'style', crossOrigin: '', href: '/assets/MeetingPage.css' },
    ]);
    expect(onMeeting.win[HEAD_START_KEY]).toMatchObject({ path: '/api/meetings/123456789' });
    for (const path of ['/', '/m/123456789/edit', '/m/12', '/schedule', '/m/123456789x']) {
      const elsewhere = runHead(code, path);
      expect([elsewhere.fetches, elsewhere.links, elsewhere.win]).toEqual([[], [], {}]);
    }
  });
});
