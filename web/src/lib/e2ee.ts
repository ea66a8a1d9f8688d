/**
 * The one place the app imports the E2EE manager from (web/src/e2ee/, owned by crypto work).
 * Every sender and receiver the app creates goes through `attachSender`/`attachReceiver`.
 */
export { E2ee } from '../e2ee/manager.ts';
