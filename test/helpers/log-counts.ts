/**
 * Counts read from JSON log lines the way docs/operations.md's Logs Insights queries read them: the lines
 * with a message (and, optionally, a source), and the sum of a numeric field over them.
 */
export function logCounts(lines: readonly string[]) {
  const entries = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  const matching = (message: string | RegExp, sourceId?: string) =>
    entries.filter(
      (entry) =>
        (typeof message === 'string' ? entry['message'] === message : message.test(String(entry['message']))) &&
        (sourceId === undefined || entry['sourceId'] === sourceId),
    );
  return {
    entries,
    /** Lines with this message (from this source). */
    count: (message: string | RegExp, sourceId?: string) => matching(message, sourceId).length,
    /** The sum of `field` over those lines. */
    sum: (message: string | RegExp, field: string, sourceId?: string) =>
      matching(message, sourceId).reduce((total, entry) => total + (typeof entry[field] === 'number' ? (entry[field] as number) : 0), 0),
  };
}
