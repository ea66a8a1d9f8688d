/** The one Sealroom wire protocol: imported by edge, web and media-origin alike. */
export * from './common.ts';
export * from './room.ts';
export * from './origin.ts';
export * from './internal-auth.ts';
export * from './parse.ts';
export * from './api.ts';
export * from './accounts.ts';
export * from './account-views.ts';
export * from './recordings.ts';
