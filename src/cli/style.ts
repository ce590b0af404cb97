/**
 * Terminal styles shared by `demo` and `simulate`: ANSI colours when the output is a terminal,
 * plain text otherwise (the text is the same bytes either way once the codes are stripped).
 */

/** How a line is styled when colour is on. */
export type Style = 'time' | 'heading' | 'generation' | 'idle' | 'fault' | 'election' | 'loss' | 'ok' | 'dim' | 'action';

const ANSI: Record<Style, [string, string]> = {
  time: ['\x1b[2m', '\x1b[22m'],
  heading: ['\x1b[1m', '\x1b[22m'],
  generation: ['\x1b[36m', '\x1b[39m'],
  idle: ['\x1b[33m', '\x1b[39m'],
  fault: ['\x1b[35m', '\x1b[39m'],
  election: ['\x1b[33m', '\x1b[39m'],
  loss: ['\x1b[31;1m', '\x1b[22;39m'],
  ok: ['\x1b[32m', '\x1b[39m'],
  dim: ['\x1b[2m', '\x1b[22m'],
  action: ['\x1b[34m', '\x1b[39m'],
};

/** A function that wraps text in a style's ANSI codes, or returns it as is when `color` is false. */
export function painter(color: boolean): (style: Style, text: string) => string {
  return (style, text) => (color ? `${ANSI[style][0]}${text}${ANSI[style][1]}` : text);
}

/** Removes ANSI colour codes. */
export function stripAnsi(line: string): string {
  return line.replace(/\x1b\[[0-9;]*m/g, '');
}
