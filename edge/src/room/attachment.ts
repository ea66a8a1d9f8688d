/**
 * The state a Room keeps on each hibernating WebSocket: it survives the object being evicted,
 * so a woken Room knows every socket's participant without storage reads.
 */
import type { Conn } from './model.ts';

/** What survives hibernation with each socket. */
export interface Attachment {
  id: string | null;
  status: Conn['status'];
  ip: string;
  /** This socket's own key for the frame budget and flood strikes (it has no participant id before a join). */
  conn: string;
  /** Cut off for flooding: whatever it still sends is dropped unread. */
  cut?: boolean;
  /** The signed-in account, as the Worker vouched for it. */
  userId?: string | null;
  /** The connection came with the owner's (or an alternative host's) session: it claims host like a host key. */
  hostClaim?: boolean;
  /** The connection came with a signed-in session. */
  signedIn?: boolean;
  /** Where the caller is (edge/src/http/location-hint.ts), if known. */
  region?: string | null;
}
