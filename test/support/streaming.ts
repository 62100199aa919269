/** Writing a large answer from a test stub: piece by piece, with backpressure, until the client goes away. */
import type { ServerResponse } from 'node:http';

/** Resolves when the response may take more data, or when its connection closed. */
export const drainOrClose = (res: ServerResponse): Promise<void> =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });

/**
 * Writes the pieces with backpressure (and `paceMs` between pieces), calling `written` after each one,
 * and ends the response; stops as soon as the client has closed the connection.
 */
export async function writePieces(
  res: ServerResponse,
  pieces: Iterable<Buffer>,
  written: (piece: Buffer, index: number) => void,
  paceMs = 0,
): Promise<void> {
  let i = 0;
  for (const piece of pieces) {
    if (res.destroyed) return;
    const drained = res.write(piece);
    written(piece, i++);
    if (!drained) await drainOrClose(res);
    if (paceMs > 0) await new Promise((resolve) => setTimeout(resolve, paceMs));
  }
  if (!res.destroyed) res.end();
}
