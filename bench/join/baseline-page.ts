/**
 * The baseline's page (bundled by baseline-server.ts): `?room=…&role=pub` publishes camera and
 * microphone; `?role=sub` opens them as a pre-join screen would, and on the join click makes
 * both transports at once, consumes everything in the room and publishes its own tracks.
 */
import { Device, type types } from 'mediasoup-client';

const q = new URLSearchParams(location.search);
const room = q.get('room') ?? '';
const role = q.get('role') ?? 'sub';
const self = `${role}-${Math.random().toString(36).slice(2)}`;

async function rpc<T>(name: string, data: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`/rpc/${name}`, { method: 'POST', body: JSON.stringify({ room, self, ...data }) });
  if (!res.ok) throw new Error(`${name}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function transport(device: Device, direction: 'send' | 'recv'): Promise<types.Transport> {
  const info = await rpc<types.TransportOptions>('createTransport', { direction });
  const t = direction === 'send' ? device.createSendTransport(info) : device.createRecvTransport(info);
  t.on('connect', ({ dtlsParameters }, ok, fail) => void rpc('connectTransport', { transportId: t.id, dtlsParameters }).then(() => ok(), fail));
  if (direction === 'send')
    t.on('produce', ({ kind, rtpParameters }, ok, fail) => void rpc<{ id: string }>('produce', { transportId: t.id, kind, rtpParameters }).then(ok, fail));
  return t;
}

async function publish(send: types.Transport, stream: MediaStream): Promise<void> {
  const [audio] = stream.getAudioTracks();
  const [video] = stream.getVideoTracks();
  // The same video encoding Sealroom sends (one layer, 900 kbit/s).
  if (video) await send.produce({ track: video, encodings: [{ maxBitrate: 900_000 }] });
  if (audio) await send.produce({ track: audio });
}

async function consumeAll(device: Device, recv: types.Transport): Promise<void> {
  const seen: string[] = [];
  for (;;) {
    const fresh = await rpc<{ id: string }[]>('producers', { seen });
    for (const p of fresh) {
      seen.push(p.id);
      void (async () => {
        const c = await rpc<types.ConsumerOptions>('consume', { transportId: recv.id, producerId: p.id, rtpCapabilities: device.rtpCapabilities });
        const consumer = await recv.consume(c);
        await rpc('resume', { consumerId: consumer.id });
        if (consumer.kind === 'video') {
          const v = document.createElement('video');
          v.autoplay = v.muted = v.playsInline = true;
          v.srcObject = new MediaStream([consumer.track]);
          document.getElementById('videos')!.append(v);
        }
      })();
    }
  }
}

async function main(): Promise<void> {
  const stream = navigator.mediaDevices.getUserMedia({ audio: true, video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } } });
  const button = document.getElementById('join') as HTMLButtonElement;
  if (role === 'pub') {
    const device = new Device();
    await device.load({ routerRtpCapabilities: await rpc('rtpCapabilities') });
    await publish(await transport(device, 'send'), await stream);
    (window as unknown as { published: boolean }).published = true;
    return;
  }
  button.disabled = false;
  button.onclick = async () => {
    button.disabled = true;
    const device = new Device();
    await device.load({ routerRtpCapabilities: await rpc('rtpCapabilities') });
    const [send, recv] = await Promise.all([transport(device, 'send'), transport(device, 'recv')]);
    void consumeAll(device, recv);
    await publish(send, await stream);
  };
}

void main();
