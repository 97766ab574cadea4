/**
 * Captures what the process writes to stdout and stderr (the gateway's JSON log lines land
 * there, in-process), keeping the gateway's own lines out of the test output.
 */
export function captureOutput(): { text: () => string; restore: () => void } {
  const logged: string[] = [];
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((s) => s.write.bind(s));
  streams.forEach((stream, i) => {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = chunk.toString();
      logged.push(text);
      // The gateway's JSON log lines and metric (EMF) lines stay out of the test output.
      return text.startsWith('{"level"') || text.startsWith('{"_aws"') || (writes[i] as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
  });
  return {
    text: () => logged.join(''),
    restore: () => streams.forEach((stream, i) => (stream.write = writes[i]!)),
  };
}
