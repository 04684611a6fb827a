/** The one way the gateway follows a Node request body by hand (parsers aside). */
import type { IncomingMessage } from 'node:http';

export interface BodyListeners {
  data(chunk: Buffer): void;
  end(): void;
  /** The connection closed; after `end` too, so check `req.readableEnded` when that matters. */
  close(): void;
}

/** Listens to every chunk, the body's end and the connection's close; returns what stops all three. */
export function listenToBody(req: IncomingMessage, on: BodyListeners): () => void {
  req.on('data', on.data);
  req.once('end', on.end);
  req.once('close', on.close);
  return () => {
    req.off('data', on.data);
    req.off('end', on.end);
    req.off('close', on.close);
  };
}
