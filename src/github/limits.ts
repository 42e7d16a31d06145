/** GitHub's size limits for Markdown bodies: PR bodies and comments hold 65,536 characters, check run summary/text 65,535. */
export const MAX_BODY_CHARS = 65_536
export const MAX_CHECK_OUTPUT_CHARS = 65_535

/** Cuts `text` to at most `max` characters, ending with a note that says so; unchanged when it fits. */
export function truncateMarkdown(text: string, max: number): string {
  if (text.length <= max) return text
  const note = `\n\n… truncated: ${text.length} characters exceed GitHub's limit of ${max}; see the workflow run for the full text.\n`
  return text.slice(0, max - note.length) + note
}
