// Reading a request body under a byte limit: Content-Length can be absent (chunked) or lie, so bytes are counted.
/** The body's bytes, or undefined (the stream cancelled) once it is announced or found to be over `limit`. */
export async function readBody(request: Request, limit: number): Promise<Buffer | undefined> {
  if (Number(request.headers.get('content-length') ?? 0) > limit) return undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body?.getReader();
  for (let r = await reader?.read(); r && !r.done; r = await reader!.read()) {
    size += r.value.byteLength;
    if (size > limit) {
      await reader!.cancel();
      return undefined;
    }
    chunks.push(r.value);
  }
  return Buffer.concat(chunks);
}
