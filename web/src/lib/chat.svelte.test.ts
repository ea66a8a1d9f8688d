import { describe, expect, it } from 'vitest';
import { Chat, MAX_CHAT_CHARS, type ChatSealer } from './chat.svelte.ts';
import { MAX_PAYLOAD_BYTES } from './sealed-payload.ts';

const hex = (text: string) => [...new TextEncoder().encode(text)].map((b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (h: string) => new TextDecoder().decode(Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16)));

/** A stand-in sealer: reversible, and refuses envelopes from an unknown sender. */
const line = (text: string) => JSON.stringify({ k: 'chat', text });
const sealer: ChatSealer = {
  seal: async (text) => 'env' + hex(text),
  open: async (from, envelope) => {
    if (from === 'stranger-1') throw new Error('no key');
    return unhex(envelope.slice(3));
  },
};

function setup(withSealer = true) {
  const sent: unknown[] = [];
  const chat = new Chat();
  chat.attach('self-0001', (m) => sent.push(m), withSealer ? sealer : null);
  return { chat, sent };
}

describe('Chat', () => {
  it('seals and sends a line, shows it once, and ignores its echo', async () => {
    const { chat, sent } = setup();
    expect(await chat.send('  hello 你好  ')).toBe(true);
    expect(sent).toEqual([{ type: 'chat', to: null, envelope: await sealer.seal('{"k":"chat","text":"hello 你好"}') }]);
    await chat.receive({ id: 7, from: 'self-0001', to: null, at: 1, envelope: 'x'.repeat(20) });
    expect(chat.lines.map((l) => [l.text, l.mine])).toEqual([['hello 你好', true]]);
  });

  it('refuses empty, oversized, or unsealable lines', async () => {
    const { chat, sent } = setup();
    expect(await chat.send('   ')).toBe(false);
    expect(await chat.send('x'.repeat(MAX_CHAT_CHARS + 1))).toBe(false);
    const none = setup(false);
    expect(none.chat.available).toBe(false);
    expect(await none.chat.send('hi')).toBe(false);
    expect(sent).toEqual([]);
  });

  it('opens incoming lines, keeps unopenable ones as sealed, and counts unread while closed', async () => {
    const { chat } = setup();
    await chat.receive({ id: 1, from: 'ann-00001', to: null, at: 1, envelope: await sealer.seal(line('hi')) });
    await chat.receive({ id: 2, from: 'stranger-1', to: 'self-0001', at: 2, envelope: 'garbagegarbagegarbage' });
    expect(chat.lines.map((l) => l.text)).toEqual(['hi', null]);
    expect(chat.unread).toBe(2);
    chat.open = true;
    expect(chat.unread).toBe(0);
    await chat.receive({ id: 3, from: 'ann-00001', to: null, at: 3, envelope: await sealer.seal(line('seen')) });
    expect(chat.unread).toBe(0);
  });

  it('writes a transcript with names, recipients and a placeholder for sealed lines', async () => {
    const { chat } = setup();
    await chat.receive({ id: 1, from: 'ann-00001', to: null, at: 1, envelope: await sealer.seal(line('hi all')) });
    await chat.receive({ id: 2, from: 'stranger-1', to: 'self-0001', at: 2, envelope: 'garbagegarbagegarbage' });
    const names: Record<string, string> = { 'ann-00001': 'Ann', 'stranger-1': 'Zed', 'self-0001': 'Me' };
    expect(
      chat.transcript(
        (id) => names[id] ?? id,
        (at) => `t${at}`,
        '(sealed)',
      ),
    ).toBe('[t1] Ann: hi all\n[t2] Zed → Me: (sealed)\n');
  });

  it('sends images sealed like lines, and refuses payloads that would not fit one envelope', async () => {
    const { chat, sent } = setup();
    const image = { mime: 'image/png' as const, data: 'iVBORw0KGgo=' };
    expect(await chat.sendImage(image, 'ann-00001', 'look')).toBe(true);
    expect(sent).toHaveLength(1);
    expect(chat.lines[0]).toMatchObject({ text: 'look', image, to: 'ann-00001', mine: true });
    expect(await chat.sendImage({ mime: 'image/png', data: 'A'.repeat(MAX_PAYLOAD_BYTES) })).toBe(false);
    expect(sent).toHaveLength(1);
    await chat.receive({ id: 5, from: 'ann-00001', to: null, at: 5, envelope: await sealer.seal(JSON.stringify({ k: 'chat', text: '', image })) });
    expect(chat.lines[1]).toMatchObject({ text: '', image });
    expect(
      chat
        .transcript(
          (id) => id,
          () => 't',
          '(sealed)',
          '[img]',
        )
        .split('\n')[1],
    ).toBe('[t] ann-00001: [img]');
  });

  it('rejects opened payloads of another kind or shape (an annotation replayed as chat)', async () => {
    const { chat } = setup();
    const annotation = JSON.stringify({ k: 'annotate', screen: 'ann-00001', id: 'abcd', tool: 'pen', color: '#ff0000', points: [[0, 0]] });
    await chat.receive({ id: 1, from: 'ann-00001', to: null, at: 1, envelope: await sealer.seal(annotation) });
    await chat.receive({
      id: 1,
      from: 'ann-00001',
      to: null,
      at: 1,
      envelope: await sealer.seal(JSON.stringify({ k: 'chat', text: 'x', image: { mime: 'image/svg+xml', data: 'AA==' } })),
    });
    expect(chat.lines.map((l) => l.text)).toEqual([null, null]);
    // Same room id twice still gives two distinct lines.
    expect(new Set(chat.lines.map((l) => l.key)).size).toBe(2);
  });
});
