// mediasoup reads MEDIASOUP_WORKER_BIN when its module is first evaluated: set it before that.
import { inject } from 'vitest';

process.env.MEDIASOUP_WORKER_BIN = inject('mediasoupWorkerBin');
