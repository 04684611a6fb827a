/**
 * ws reports a client's protocol fault (a message over `maxPayload`, a broken frame, bad
 * UTF-8) as an `error` event, after it has already closed the connection with the code
 * that says why (1009, 1002, 1007). graphql-ws prints every `error` event with its stack:
 * 14 lines per oversized message, so any client could fill the logs. Through ws's own
 * `WebSocket` option, such faults go to `onClientFault` instead (one structured line and a
 * count per connection); every other error still reaches the listeners as before.
 */
import { WebSocket } from 'ws';

export interface ClientFault extends Error {
  /** ws's code, e.g. WS_ERR_UNSUPPORTED_MESSAGE_LENGTH. */
  code: string;
}

/** ws's receiver errors: all of them are the peer's doing. */
export const isClientFault = (error: unknown): error is ClientFault =>
  error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && (error as ClientFault).code.startsWith('WS_ERR_');

/** The close code ws sent for a fault (it keeps it on a private symbol): 1009 too big, 1007 bad UTF-8, 1002 the rest. */
export const closeCodeOf = (fault: ClientFault) =>
  fault.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 1009 : fault.code === 'WS_ERR_INVALID_UTF8' ? 1007 : 1002;

export function webSocketReportingClientFaults(onClientFault: (socket: WebSocket, fault: ClientFault) => void): typeof WebSocket {
  return class ReportingWebSocket extends WebSocket {
    override emit(event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'error' && isClientFault(args[0])) {
        onClientFault(this, args[0]);
        return true;
      }
      return super.emit(event, ...args);
    }
  };
}
