// A filter between stdin and the JSON-RPC reader. vscode-jsonrpc's reader loses its place for good after one
// bad header (a missing or wrong Content-Length, a line without ':'): every later message is read as garbage
// and the server never answers again. This passes on only well-formed frames and, after a bad one, finds the
// next "Content-Length:" header, so one broken message costs that message and no more.
import { Transform, type TransformCallback } from "node:stream";

const HEADER_END = Buffer.from("\r\n\r\n");
const LENGTH_HEADER = /^content-length:/i;
/** Larger bodies are refused rather than buffered: no real LSP message comes near this. */
export const MAX_BODY_BYTES = 128 * 1024 * 1024;
/** Bytes kept while looking for a header end; more than any real header block. */
const MAX_HEADER_BYTES = 8 * 1024;

/** Offset of the next "Content-Length:" (any case) at or after `from`, or -1. */
function nextLengthHeader(buffer: Buffer, from: number): number {
  for (let i = buffer.indexOf(":", from, "latin1"); i >= 0; i = buffer.indexOf(":", i + 1, "latin1")) {
    const start = i - "content-length".length;
    if (start >= from && LENGTH_HEADER.test(buffer.toString("latin1", start, i + 1))) return start;
  }
  return -1;
}

export class FrameFilter extends Transform {
  private buffer: Buffer = Buffer.alloc(0);
  private bodyLength: number | undefined;

  constructor(private readonly complain: (message: string) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    this.drain();
    done();
  }

  private drain(): void {
    for (;;) {
      if (this.bodyLength === undefined && !this.readHeader()) return;
      const length = this.bodyLength as number;
      if (this.buffer.length < length) return;
      const body = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      this.bodyLength = undefined;
      if (isJson(body)) {
        this.push(Buffer.concat([Buffer.from(`Content-Length: ${length}\r\n\r\n`), body]));
        continue;
      }
      this.complain(`dropped a message whose body is not JSON (${length} bytes)`);
      // A Content-Length that was too long swallowed the start of the next message: read on from its header.
      const next = nextLengthHeader(body, 0);
      if (next >= 0) this.buffer = Buffer.concat([body.subarray(next), this.buffer]);
    }
  }

  /** Reads one header block into bodyLength; false when more bytes are needed. */
  private readHeader(): boolean {
    for (;;) {
      const end = this.buffer.indexOf(HEADER_END);
      if (end < 0) {
        if (this.buffer.length <= MAX_HEADER_BYTES) return false;
        this.resync("a header with no end", 1);
        continue;
      }
      const lines = this.buffer.toString("latin1", 0, end).split("\r\n");
      const length = contentLength(lines);
      if (length === undefined) {
        this.resync(`a bad message header ${JSON.stringify(lines.join(" | ").slice(0, 120))}`, end + HEADER_END.length);
        continue;
      }
      this.buffer = this.buffer.subarray(end + HEADER_END.length);
      this.bodyLength = length;
      return true;
    }
  }

  /**
   * Drops bytes up to the next "Content-Length:" after the current position; without one, at least
   * `atLeast` bytes, keeping a tail that may be the start of a header split across chunks.
   */
  private resync(what: string, atLeast: number): void {
    this.complain(`skipped ${what}`);
    const next = nextLengthHeader(this.buffer, 1);
    this.buffer = this.buffer.subarray(next >= 0 ? next : Math.max(atLeast, this.buffer.length - "content-length:".length));
  }
}

/** The body length a header block announces, or undefined if the block is not a well-formed LSP header. */
function contentLength(lines: string[]): number | undefined {
  if (!lines.every((line) => /^[\w-]+:/.test(line))) return undefined;
  const line = lines.find((l) => LENGTH_HEADER.test(l));
  const value = line?.slice(line.indexOf(":") + 1).trim();
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const length = Number(value);
  return length <= MAX_BODY_BYTES ? length : undefined;
}

function isJson(body: Buffer): boolean {
  try {
    JSON.parse(body.toString("utf8"));
    return true;
  } catch {
    return false;
  }
}
