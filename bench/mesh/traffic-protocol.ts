/** The bench's tiny HTTP/1.1 exchange: fixed requests and a fixed 2-byte answer. */
export const REQUEST_END = '\r\n\r\n';
export const CLOSE_MARK = 'Connection: close';
export const KEEP_ALIVE_REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: bench\r\n\r\n');
export const CLOSE_REQUEST = Buffer.from(`GET / HTTP/1.1\r\nHost: bench\r\n${CLOSE_MARK}\r\n\r\n`);
export const RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
