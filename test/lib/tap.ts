/** Reads what the origin forwards (its test-only tap) and tries to open it. */
import { signRequest } from '@sealroom/protocol';
import type { TapPacket } from '../../media-origin/src/test-tap.ts';

export async function tap(originUrl: string, secret: string, meetingId: string, ms: number): Promise<TapPacket[]> {
  const body = JSON.stringify({ meetingId, ms });
  const headers = await signRequest(secret, 'POST', '/test/tap', body);
  const res = await fetch(`${originUrl}/test/tap`, { method: 'POST', body, headers: { ...headers, 'content-type': 'application/json' } });
  if (!res.ok) throw new Error(`tap failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { packets: TapPacket[] }).packets;
}
