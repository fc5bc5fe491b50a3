// Watching a child process of a test harness: its last output lines (to
// explain a failure) and its end.

/**
 * Keeps the last `keep` lines of `proc`'s stdout and stderr (each also
 * re-emitted as a 'line' event on `proc`), adds it to `live` while it runs,
 * and resolves `exited` with `{code, signal, error?}` once it is gone — also
 * when it could not be spawned at all ('error' without 'exit').
 */
export function watchProcess(proc, live, keep = 200) {
  live.add(proc);
  const output = [];
  const remember = (stream, name) => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        output.push(`[${name}] ${line}`);
        if (output.length > keep) output.shift();
        proc.emit('line', line);
      }
    });
  };
  remember(proc.stdout, 'stdout');
  remember(proc.stderr, 'stderr');
  const exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      resolve({ code, signal });
    });
    proc.once('error', (error) => {
      live.delete(proc);
      resolve({ code: null, signal: null, error });
    });
  });
  const tail = (n = 40) => output.slice(-n).join('\n');
  return { exited, tail };
}
