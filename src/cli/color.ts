// Colour only for a person at a terminal: NO_COLOR (any value, see no-color.org), TERM=dumb, a pipe or a file get plain text.

export function useColor(stream: { isTTY?: boolean }): boolean {
  return !process.env.NO_COLOR && process.env.TERM !== 'dumb' && stream.isTTY === true;
}

/** Removes ANSI colour and style sequences (citty colours its usage text whatever the output is). */
export function stripColor(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/** `text` as it should reach `stream`. */
export function forStream(text: string, stream: { isTTY?: boolean }): string {
  return useColor(stream) ? text : stripColor(text);
}
