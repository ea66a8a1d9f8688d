/**
 * The edge's meeting API. Answers are parsed with the protocol's schemas through the one fetch
 * helper (http.ts); an error body `{ error: { code, message } }` becomes an ApiError carrying the code.
 */
import { z } from 'zod';
import { ErrorCode, HOST_KEY_SCHEME, MeetingCreated, MeetingDetails, MeetingPublic, type MeetingInput } from '@sealroom/protocol';
import { ApiError } from './api-error.ts';
import { type JsonRequest, callJson } from './http.ts';

export type { MeetingCreated, MeetingDetails, MeetingInput, MeetingPublic };
export { ApiError };

const Invitation = z.object({ text: z.string(), link: z.string() });
const hostAuth = (hostKey: string) => ({ authorization: `${HOST_KEY_SCHEME} ${hostKey}` });
const meetingPath = (id: string) => `/api/meetings/${encodeURIComponent(id)}`;

async function call<S extends z.ZodType>(schema: S, input: string, req: JsonRequest, fetcher: typeof fetch): Promise<z.output<S>> {
  try {
    return await callJson(fetcher, schema, input, req);
  } catch (err) {
    // Meeting routes answer with the protocol's codes; anything else is the server's problem.
    if (err instanceof ApiError && !ErrorCode.safeParse(err.code).success) throw new ApiError(err.status, 'internal', err.message);
    throw err;
  }
}

export function createMeeting(input: MeetingInput = {}, fetcher: typeof fetch = fetch): Promise<MeetingCreated> {
  return call(MeetingCreated, '/api/meetings', { method: 'POST', json: input }, fetcher);
}

export function getMeeting(id: string, fetcher: typeof fetch = fetch): Promise<MeetingPublic> {
  return call(MeetingPublic, `/api/meetings/${encodeURIComponent(id)}`, { method: 'GET' }, fetcher);
}

/** The host's view (settings included); needs the host key. */
export function getMeetingDetails(id: string, hostKey: string, fetcher: typeof fetch = fetch): Promise<MeetingDetails> {
  return call(MeetingDetails, `${meetingPath(id)}/details`, { method: 'GET', headers: hostAuth(hostKey) }, fetcher);
}

/** Changes a scheduled meeting; needs the host key. */
export function updateMeeting(id: string, hostKey: string, input: MeetingInput, fetcher: typeof fetch = fetch): Promise<MeetingDetails> {
  return call(MeetingDetails, meetingPath(id), { method: 'PATCH', headers: hostAuth(hostKey), json: input }, fetcher);
}

/** Deletes a meeting (ending it for anyone in it); needs the host key. */
export async function deleteMeeting(id: string, hostKey: string, fetcher: typeof fetch = fetch): Promise<void> {
  const res = await fetcher(meetingPath(id), { method: 'DELETE', headers: hostAuth(hostKey) });
  if (!res.ok) throw new ApiError(res.status, res.status === 403 ? 'forbidden' : res.status === 404 ? 'meeting_not_found' : 'internal', `HTTP ${res.status}`);
}

/** The meeting's join link as the server writes it. */
export async function getInvitationLink(id: string, fetcher: typeof fetch = fetch): Promise<string> {
  return (await call(Invitation, `${meetingPath(id)}/invitation`, { method: 'GET' }, fetcher)).link;
}

/** Where the calendar file (.ics) of a meeting downloads from. */
export const invitationIcsUrl = (id: string) => `${meetingPath(id)}/invitation.ics`;
