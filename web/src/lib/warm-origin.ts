/**
 * The media origin made ready while the pre-join form shows. The Room names the origin the
 * meeting is placed on (`prepared`); this dials it and loads a mediasoup-client device with the
 * router capabilities the origin gives before auth. The join then sends its ticket on a socket
 * already open, to a device already loaded: one round trip and the device's set-up (an
 * RTCPeerConnection probe of the browser's codecs) come off the path from click to call.
 *
 * It is taken once, even while still dialling. The origin closes a socket that has not
 * authenticated within ten seconds, so after a long form the join dials afresh; the loaded
 * device is still used. Whether the device
 * fits is checked again at the join against the capabilities the meeting's router sends after
 * auth: if they differ, the session loads a fresh one.
 */
import { Device, type types } from 'mediasoup-client';
import { OriginClient, type OriginClientOptions, type SocketLike } from './origin-client.ts';

/** A device loaded with a router's capabilities, kept with them (as sent) to compare at the join. */
export interface LoadedDevice {
  device: Device;
  capabilities: string;
}

/** What the join gets: the socket once open (null if it failed or closed), and the device once loaded. */
export interface WarmParts {
  /** The socket, if it is open already: the join's requests then go out without waiting a turn. */
  open: OriginClient | null;
  client: Promise<OriginClient | null>;
  device: Promise<LoadedDevice | null>;
}

type Relay = Pick<OriginClientOptions, 'onNotification' | 'onClosed'>;

export class WarmOrigin {
  readonly url: string;
  #client: OriginClient | null = null;
  #taker: Relay | null = null;
  #taken = false;
  readonly #dialled: Promise<OriginClient | null>;
  readonly #device: Promise<LoadedDevice | null>;

  constructor(
    url: string,
    makeSocket: (url: string) => SocketLike = (u) => new WebSocket(u),
    loadDevice: (capabilities: types.RtpCapabilities) => Promise<Device> = async (caps) => {
      const device = new Device();
      await device.load({ routerRtpCapabilities: caps });
      return device;
    },
  ) {
    this.url = url;
    // Whatever the origin says before the join is handed on to whoever took the socket.
    const relay: Relay = {
      onNotification: (n) => this.#taker?.onNotification(n),
      onClosed: (reason) => {
        this.#client = null;
        this.#taker?.onClosed(reason);
      },
    };
    this.#dialled = OriginClient.connect(url, relay, makeSocket).then(
      (client) => {
        // Closed before it opened (the page went away): nobody will take it.
        if (this.#taken && !this.#taker) client.close();
        else this.#client = client;
        return client;
      },
      () => null,
    );
    this.#device = this.#dialled.then(async (client) => {
      if (!client) return null;
      try {
        const { rtpCapabilities } = await client.request('rtpCapabilities', {});
        const device = await loadDevice(rtpCapabilities as types.RtpCapabilities);
        return { device, capabilities: JSON.stringify(rtpCapabilities) };
      } catch {
        // An origin that will not say before auth, or a device that will not load: the join does both.
        return null;
      }
    });
  }

  /**
   * Hands the socket (still dialling, perhaps) and the device to a join, whose `relay` then hears
   * the socket's notifications and its close. Once only.
   */
  take(relay: Relay): WarmParts | null {
    if (this.#taken) return null;
    this.#taken = true;
    this.#taker = relay;
    const open = this.#client && !this.#client.closed ? this.#client : null;
    return { open, client: this.#dialled.then((c) => (c && !c.closed ? c : null)), device: this.#device };
  }

  /** Closes the socket if nobody took it (the page went away, or the meeting moved). */
  close(): void {
    if (this.#taken) return;
    this.#taken = true;
    this.#client?.close();
    this.#client = null;
  }
}
