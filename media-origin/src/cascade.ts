/**
 * Pipe transports between origins (the path to webinars and meetings that
 * span regions). What `router.pipeToRouter()` does inside one process, split into steps the
 * edge drives over the signed `/pipe` API, one origin at a time:
 *
 *   A, B: openPipe → each answers its end (ip, port, SRTP key)
 *   A, B: connectPipe with the other's end
 *   A: pipeProducer → consumes the producer on A's pipe, answers its RTP parameters
 *   B: acceptProducer → produces it on B's pipe under the same id; B's participants are told
 *
 * The pipe runs SRTP (AEAD_AES_256_GCM): frames are sealed end to end already, but the RTP
 * headers and clear codec prefix the origins rely on must not be forged between them.
 */
import type { OriginPipeRequest, PipeOpened, PipedProducer } from '@sealroom/protocol';
import type { types as ms } from 'mediasoup';
import { OriginError, sfu } from './errors.ts';
import type { Logger } from './log.ts';
import { INGEST_RECV_BUFFER_BYTES } from './media.ts';
import type { MeetingRouter } from './meeting.ts';
import type { MeetingRegistry } from './meeting-registry.ts';
import type { ProducerAppData, TransportNetwork } from './peer.ts';

/** Runs one step of a cascade the edge drives (the order of calls is above). */
export async function handlePipe(meetings: MeetingRegistry, req: OriginPipeRequest, net: TransportNetwork, parentLog: Logger): Promise<object> {
  const log = parentLog.child({ meetingId: req.meetingId });
  if (req.action === 'openPipe') {
    const meeting = await meetings.meetingFor(req.meetingId);
    try {
      await meeting.ready;
    } catch {
      throw new OriginError('internal', 'meeting could not be restored; try again');
    }
    const opened = await openPipe(meeting, net);
    log.info({ event: 'pipe_opened', pipeId: opened.pipeId });
    return opened;
  }
  const meeting = meetings.get(req.meetingId);
  if (!meeting || meeting.closed) throw new OriginError('not_found', 'no such meeting on this origin');
  switch (req.action) {
    case 'connectPipe':
      return connectPipe(meeting, req);
    case 'pipeProducer': {
      const piped = await pipeProducer(meeting, req);
      log.info({ event: 'producer_piped_out', pipeId: req.pipeId, participantId: piped.participantId, source: piped.source });
      return piped;
    }
    case 'acceptProducer': {
      const r = await acceptProducer(meeting, req);
      log.info({ event: 'producer_piped_in', pipeId: req.pipeId, participantId: req.producer.participantId, source: req.producer.source });
      return r;
    }
    case 'closePipe':
      log.info({ event: 'pipe_closed', pipeId: req.pipeId });
      return closePipe(meeting, req);
  }
}

/** Opens this origin's end of a pipe on the meeting's primary router (it sees every producer). */
export async function openPipe(meeting: MeetingRouter, net: TransportNetwork): Promise<PipeOpened> {
  const pipe = await meeting.router.createPipeTransport({
    listenInfo: {
      protocol: 'udp',
      ip: net.listenIp,
      ...(net.announcedIp !== net.listenIp ? { announcedAddress: net.announcedIp } : {}),
      portRange: { min: net.rtcMinPort, max: net.rtcMaxPort },
      recvBufferSize: INGEST_RECV_BUFFER_BYTES,
    },
    enableSrtp: true,
    // Retransmissions across a WAN link: the far origin NACKs what it missed.
    enableRtx: true,
    appData: { cascade: true },
  });
  meeting.addPipe(pipe);
  const srtp = pipe.srtpParameters;
  if (!srtp) {
    pipe.close();
    throw new Error('pipe transport came up without SRTP parameters');
  }
  return {
    pipeId: pipe.id,
    local: { ip: pipe.tuple.localAddress, port: pipe.tuple.localPort, srtpParameters: { cryptoSuite: srtp.cryptoSuite, keyBase64: srtp.keyBase64 } },
  };
}

type Action<A extends OriginPipeRequest['action']> = Extract<OriginPipeRequest, { action: A }>;

export async function connectPipe(meeting: MeetingRouter, req: Action<'connectPipe'>): Promise<Record<string, never>> {
  const pipe = pipeOf(meeting, req.pipeId);
  await sfu(() => pipe.connect({ ip: req.remote.ip, port: req.remote.port, srtpParameters: req.remote.srtpParameters }));
  return {};
}

/** Sends one producer of this meeting into the pipe; the answer is what the far side needs. */
export async function pipeProducer(meeting: MeetingRouter, req: Action<'pipeProducer'>): Promise<PipedProducer> {
  const pipe = pipeOf(meeting, req.pipeId);
  const producer = meeting.findProducer(req.producerId);
  if (!producer) throw new OriginError('not_found', 'no such producer in this meeting');
  const consumer = await sfu(() => pipe.consume({ producerId: producer.id }));
  return {
    producerId: producer.id,
    kind: consumer.kind,
    rtpParameters: consumer.rtpParameters as unknown as PipedProducer['rtpParameters'],
    participantId: producer.appData.participantId,
    source: producer.appData.source,
    paused: consumer.producerPaused,
  };
}

/** Recreates a producer of another origin here, under its id, and offers it to everyone. */
export async function acceptProducer(meeting: MeetingRouter, req: Action<'acceptProducer'>): Promise<{ producerId: string }> {
  const pipe = pipeOf(meeting, req.pipeId);
  const p = req.producer;
  if (meeting.findProducer(p.producerId)) throw new OriginError('bad_message', 'this producer is already in the meeting here');
  const producer = await sfu(() =>
    pipe.produce<ProducerAppData>({
      id: p.producerId,
      kind: p.kind,
      rtpParameters: p.rtpParameters as unknown as ms.RtpParameters,
      // What the host paused here stays paused, whichever origin the media comes from.
      paused: p.paused || meeting.isHostPaused(p.participantId, p.source),
      appData: { participantId: p.participantId, source: p.source },
    }),
  );
  await meeting.addPipedProducer(producer);
  return { producerId: producer.id };
}

export function closePipe(meeting: MeetingRouter, req: Action<'closePipe'>): Record<string, never> {
  pipeOf(meeting, req.pipeId).close();
  return {};
}

function pipeOf(meeting: MeetingRouter, id: string): ms.PipeTransport {
  const pipe = meeting.pipe(id);
  if (!pipe) throw new OriginError('not_found', 'no such pipe in this meeting');
  return pipe;
}
