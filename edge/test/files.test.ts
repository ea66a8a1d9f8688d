/** Sealed file transfer relayed by the Room: offers, answers, chunks only to those who accepted. */
import { describe, expect, it } from 'vitest';
import { joined, newMeeting } from './helpers.ts';

async function trio() {
  const m = await newMeeting();
  const h = await joined(m.id, 'Host', 1, { hostKey: m.hostKey });
  const a = await joined(m.id, 'Ann', 2);
  const b = await joined(m.id, 'Ben', 3);
  for (const x of [h, a, b]) await x.c.drain(50);
  return { m, h, a, b };
}

const chunk = (i: number) => `sealed-chunk-${i}-`.padEnd(64, 'x');

describe('file transfer through the room', () => {
  it('relays chunks only to receivers who accepted, and forgets the file after the last chunk', async () => {
    const { h, a, b } = await trio();
    a.c.send({ type: 'file-offer', id: 'file-0001', to: null, meta: 'sealed-meta-name-and-type', size: 3000, chunks: 3 });
    for (const x of [h, b])
      expect(await x.c.next('file-offer')).toMatchObject({ id: 'file-0001', from: a.id, size: 3000, chunks: 3, meta: 'sealed-meta-name-and-type' });
    b.c.send({ type: 'file-answer', id: 'file-0001', from: a.id, accept: true });
    h.c.send({ type: 'file-answer', id: 'file-0001', from: a.id, accept: false });
    expect((await a.c.next('file-answer')).accept).toBe(true);
    expect((await a.c.next('file-answer')).accept).toBe(false);
    for (let i = 0; i < 3; i++) a.c.send({ type: 'file-chunk', id: 'file-0001', index: i, data: chunk(i) });
    for (let i = 0; i < 3; i++) expect(await b.c.next('file-chunk')).toEqual({ type: 'file-chunk', id: 'file-0001', index: i, data: chunk(i), from: a.id });
    expect((await h.c.drain(100)).filter((x) => x.type === 'file-chunk')).toEqual([]);
    // The transfer is over: another chunk for it is refused.
    a.c.send({ type: 'file-chunk', id: 'file-0001', index: 0, data: chunk(0) });
    expect((await a.c.next('error')).code).toBe('not_found');
  });

  it('a participant removed mid-transfer gets no further chunk', async () => {
    const { h, a, b } = await trio();
    a.c.send({ type: 'file-offer', id: 'file-0002', to: null, meta: 'sealed-meta-name-and-type', size: 5000, chunks: 5 });
    await b.c.next('file-offer');
    b.c.send({ type: 'file-answer', id: 'file-0002', from: a.id, accept: true });
    await a.c.next('file-answer');
    a.c.send({ type: 'file-chunk', id: 'file-0002', index: 0, data: chunk(0) });
    await b.c.next('file-chunk');
    h.c.send({ type: 'host', command: { action: 'remove', target: b.id } });
    await b.c.next('closed');
    a.c.send({ type: 'file-chunk', id: 'file-0002', index: 1, data: chunk(1) });
    expect((await b.c.drain(200)).filter((x) => x.type === 'file-chunk')).toEqual([]);
  });

  it('relays chunks strictly in order: a gap is refused with the index the room expects, and a late accept is refused', async () => {
    const { h, a, b } = await trio();
    expect(h.welcome.maxFileBytes).toBe(100 * 1024 * 1024);
    a.c.send({ type: 'file-offer', id: 'file-0004', to: null, meta: 'sealed-meta-name-and-type', size: 4000, chunks: 4 });
    await b.c.next('file-offer');
    await h.c.next('file-offer');
    b.c.send({ type: 'file-answer', id: 'file-0004', from: a.id, accept: true });
    await a.c.next('file-answer');
    a.c.send({ type: 'file-chunk', id: 'file-0004', index: 0, data: chunk(0) });
    a.c.send({ type: 'file-chunk', id: 'file-0004', index: 2, data: chunk(2) });
    expect(await a.c.next('error')).toMatchObject({ code: 'bad_message', file: { id: 'file-0004', next: 1 } });
    // The host accepts after the stream began: refused, so nobody gets a stream without its start.
    h.c.send({ type: 'file-answer', id: 'file-0004', from: a.id, accept: true });
    expect(await h.c.next('error')).toMatchObject({ code: 'not_found', file: { id: 'file-0004' } });
    for (const i of [1, 2, 3]) a.c.send({ type: 'file-chunk', id: 'file-0004', index: i, data: chunk(i) });
    const got: number[] = [];
    for (let i = 0; i < 4; i++) got.push((await b.c.next('file-chunk')).index);
    expect(got).toEqual([0, 1, 2, 3]);
    expect((await h.c.drain(100)).filter((x) => x.type === 'file-chunk')).toEqual([]);
  });

  it('refuses what is too big, unknown, or not the sender’s to send', async () => {
    const { a, b } = await trio();
    a.c.send({ type: 'file-offer', id: 'file-big1', to: null, meta: 'sealed-meta-name-and-type', size: 200 * 1024 * 1024, chunks: 2200 });
    expect((await a.c.next('error')).message).toContain('100 MB');
    a.c.send({ type: 'file-offer', id: 'file-0003', to: b.id, meta: 'sealed-meta-name-and-type', size: 100, chunks: 1 });
    await b.c.next('file-offer');
    b.c.send({ type: 'file-chunk', id: 'file-0003', index: 0, data: chunk(0) });
    expect((await b.c.next('error')).code).toBe('not_found');
    a.c.send({ type: 'file-chunk', id: 'file-0003', index: 5, data: chunk(5) });
    expect((await a.c.next('error')).code).toBe('bad_message');
  });
});
