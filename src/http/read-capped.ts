/** Reads a fetch Request's body as text, up to a size and a deadline; the one capped reader of small bodies. */
export async function readCappedText(request: Request, limit: number, deadlineMs: number): Promise<{ text: string; tooLarge: boolean }> {
  if (!request.body) return { text: '', tooLarge: false };
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) return { text: '', tooLarge: true };
  const reader = request.body.getReader();
  const timer = setTimeout(() => void reader.cancel(new Error('body deadline')).catch(() => {}), deadlineMs);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        void reader.cancel().catch(() => {});
        return { text: '', tooLarge: true };
      }
      chunks.push(value);
    }
  } catch {
    // A body cut off by the deadline or the client: treat what came as the body.
  } finally {
    clearTimeout(timer);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), tooLarge: false };
}
