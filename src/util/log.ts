/**
 * Where commands report progress. The action maps it onto @actions/core, the CLI onto stderr,
 * tests collect it. Secrets never reach it unmasked: sources register them with `secret()`.
 */
export interface Logger {
  info(message: string): void
  warn(message: string): void
  /** A long step: printed when it starts; the returned function is called when it ends. */
  step(title: string): () => void
  /** Registers a value that must never be printed (action: core.setSecret; CLI: redacted). */
  secret(value: string): void
}

export function consoleLogger(stream: NodeJS.WritableStream = process.stderr): Logger {
  const secrets: string[] = []
  const redact = (s: string) => secrets.reduce((acc, v) => acc.split(v).join('***'), s)
  return {
    info: m => stream.write(`${redact(m)}\n`),
    warn: m => stream.write(`warning: ${redact(m)}\n`),
    step(title) {
      const t0 = Date.now()
      stream.write(`▶ ${redact(title)}\n`)
      return () => stream.write(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
    },
    secret(v) {
      if (v && !secrets.includes(v)) secrets.push(v)
    }
  }
}

/** A logger that keeps everything, for tests. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: m => lines.push(m),
    warn: m => lines.push(`warning: ${m}`),
    step: t => {
      lines.push(`▶ ${t}`)
      return () => undefined
    },
    secret: () => undefined
  }
}
