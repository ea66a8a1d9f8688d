/**
 * The RTP capabilities of this origin's routers. mediasoup derives a router's capabilities from
 * its media codecs alone, and every router here has MEDIA_CODECS, so one throwaway router's
 * answer is every meeting's. The origin gives them before auth: a browser loads its device with
 * them while its pre-join form shows, and the join skips that step.
 */
import type { types as ms } from 'mediasoup';
import { MEDIA_CODECS } from './media.ts';

export async function routerCapabilities(worker: ms.Worker): Promise<ms.RtpCapabilities> {
  const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
  try {
    return router.rtpCapabilities;
  } finally {
    router.close();
  }
}
