/**
 * The answer to a request Node's HTTP parser refuses before express sees it (the server's `clientError`
 * event): the same JSON error body as every other error, with a reason, instead of Node's bare status line.
 * A JWT in `Authorization` larger than the header limit (`maxHeaderSize`, 16 KB by default) was a bare 431.
 */
import { maxHeaderSize } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';

/** The status, code and message for a parser error code, as Node itself would choose the status. */
function answerFor(code: string | undefined): { status: number; reason: string; code: string; message: string } {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 431,
      reason: 'Request Header Fields Too Large',
      code: 'request-headers-too-large',
      message: `The request headers are larger than this server accepts (${maxHeaderSize} bytes in all): a JWT in Authorization must be smaller`,
    };
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, reason: 'Request Timeout', code: 'request-timeout', message: 'The request was not received in time' };
  }
  return { status: 400, reason: 'Bad Request', code: 'malformed-request', message: 'The request is not valid HTTP' };
}

/** Whether a response was already started on the socket (Node's own handler checks the same, then only closes it). */
function responseStarted(socket: Duplex): boolean {
  const message: unknown = (socket as Duplex & { _httpMessage?: unknown })._httpMessage;
  return typeof message === 'object' && message !== null && 'headersSent' in message && message.headersSent === true;
}

/**
 * A `clientError` listener for an http.Server: answers with a JSON error body and closes the connection;
 * logs the parser's error code (never the bytes received). A reset connection, or one whose response has
 * begun, is only destroyed.
 */
export function clientErrorHandler(logger: Logger): (err: Error & { code?: string }, socket: Duplex) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable || responseStarted(socket)) {
      socket.destroy();
      return;
    }
    const answer = answerFor(err.code);
    logger.warn({ status: answer.status, refused: { reason: answer.code, detail: err.code } }, 'request refused by the HTTP parser');
    const body = JSON.stringify({ error: { status: answer.status, code: answer.code, message: answer.message } });
    socket.end(
      `HTTP/1.1 ${answer.status} ${answer.reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };
}
