/** Replaces every occurrence of each secret in `text` with ***; for messages that bypass the Logger (thrown errors). */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.filter(s => s.length > 0).reduce((acc, s) => acc.split(s).join('***'), text)
}
