// Binary WebSocket frames: one event (or page message) that carries binary buffers.
//
//   uint32 big-endian: length of the JSON header in bytes
//   the JSON header (UTF-8), whose "buffers" field lists each buffer's length
//   the buffers, one after the other
//
// bridge/sidecar/frames.py is the server's side of the same format (docs/sidecar.md).

function bytesOf(buffer) {
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  if (ArrayBuffer.isView(buffer)) return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  throw new TypeError("a widget buffer must be an ArrayBuffer or a typed array / DataView");
}

export function encodeFrame(message, buffers) {
  const parts = buffers.map(bytesOf);
  const header = new TextEncoder().encode(JSON.stringify({ ...message, buffers: parts.map((p) => p.byteLength) }));
  const total = 4 + header.byteLength + parts.reduce((n, p) => n + p.byteLength, 0);
  const frame = new Uint8Array(total);
  new DataView(frame.buffer).setUint32(0, header.byteLength);
  frame.set(header, 4);
  let at = 4 + header.byteLength;
  for (const part of parts) {
    frame.set(part, at);
    at += part.byteLength;
  }
  return frame.buffer;
}

export function decodeFrame(data) {
  const view = new DataView(data);
  const length = view.getUint32(0);
  const event = JSON.parse(new TextDecoder().decode(new Uint8Array(data, 4, length)));
  let at = 4 + length;
  event.buffers = (event.buffers || []).map((size) => {
    const buffer = new DataView(data, at, size);
    at += size;
    return buffer;
  });
  if (at !== data.byteLength) throw new Error(`a binary frame of ${data.byteLength} bytes announced ${at}`);
  return event;
}
