/** Authenticated calls from the edge to an origin's control endpoint (enforcement). */
import { type OriginControl, signRequest } from '@sealroom/protocol';

/** Sends one action, or a batch in one request (the origin applies them in order). */
export async function sendControl(secret: string, controlUrl: string, control: OriginControl | OriginControl[]): Promise<boolean> {
  const body = JSON.stringify(control);
  const url = new URL('/control', controlUrl);
  const headers = await signRequest(secret, 'POST', url.pathname, body);
  try {
    const res = await fetch(url, { method: 'POST', body, headers: { ...headers, 'content-type': 'application/json' } });
    if (!res.ok) {
      // Enforcement that didn't happen must be seen: log what the origin said.
      const actions = (Array.isArray(control) ? control : [control]).map((c) => c.action);
      console.error(JSON.stringify({ event: 'origin_control_refused', status: res.status, actions, answer: (await res.text()).slice(0, 300) }));
    }
    return res.ok;
  } catch (err) {
    const actions = (Array.isArray(control) ? control : [control]).map((c) => c.action);
    console.error(JSON.stringify({ event: 'origin_control_failed', actions, error: String(err) }));
    return false;
  }
}
