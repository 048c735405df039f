/**
 * Progress at a terminal, on stderr (stdout stays the command's result): each new status is
 * printed once as a whole line — never cut, so a printed command stays whole — under one animated
 * line. Not @clack/prompts' spinner: that one puts the terminal in raw mode, where Ctrl-C is a key
 * it answers with "Canceled" and exit 0, and `run --wait` must exit 130 saying the run goes on.
 */
export interface Spinner {
  /** Prints `text` as a line of its own (once per change). */
  message(text: string): void;
  /** Replaces the animated line with `text` and stops. */
  stop(text: string): void;
}

const FRAMES = ["◒", "◐", "◓", "◑"];

export function spinner(label: string, out: NodeJS.WriteStream = process.stderr): Spinner {
  let frame = 0;
  let stopped = false;
  let last = "";
  const draw = () => out.write(`\r\x1b[2K${FRAMES[frame]}  ${label}`);
  draw();
  const timer = setInterval(() => {
    frame = (frame + 1) % FRAMES.length;
    draw();
  }, 120);
  timer.unref();
  return {
    message(text) {
      if (stopped || text === last) return;
      last = text;
      out.write(`\r\x1b[2K│  ${text}\n`);
      draw();
    },
    stop(text) {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      out.write(`\r\x1b[2K◇  ${text}\n`);
    },
  };
}
