import { spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { createInterface } from 'node:readline'
import type { Logger } from '../util/log.js'
import { PeakcastError } from '../util/errors.js'
import { isProgressLine } from './jmeter-args.js'

export interface SuperviseOptions {
  command: string
  args: string[]
  cwd: string
  timeoutMs: number
  log: Logger
  signal?: AbortSignal
  /** what to call the engine in messages ("JMeter", "JMeter in Docker") */
  what: string
  /** extra clean-up after the process group is killed (e.g. `docker kill` the container) */
  afterKill?: () => Promise<void>
  /** hint when the command itself cannot be started */
  missingHint: string
}

/** How long (ms) a stopped JMeter gets to flush its JTL before it is killed. */
const STOP_GRACE_MS = 30_000

/**
 * Runs a JMeter process to its end and returns its exit code (never a verdict: JMeter exits 0
 * with failed samples). Summariser lines go to log.info. On timeout the whole process group is
 * killed and a PeakcastError says so. On abort JMeter is asked to StopTestNow over its UDP
 * shutdown port (it then closes the JTL properly), killed only if it does not stop in time.
 */
export function superviseJmeter(o: SuperviseOptions): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    if (o.signal?.aborted) return reject(abortError(o.what))
    // Own process group, so a kill reaches every process JMeter's launcher started.
    const child = spawn(o.command, o.args, { cwd: o.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    const tail: string[] = []
    let shutdownPort: number | undefined
    let timedOut = false
    let aborted = false
    const timers: NodeJS.Timeout[] = []

    const onLine = (line: string) => {
      tail.push(line)
      if (tail.length > 40) tail.shift()
      const port = /message on port (\d+)/.exec(line)
      if (port) shutdownPort = Number(port[1])
      if (isProgressLine(line)) o.log.info(`jmeter: ${line.trim()}`)
    }
    createInterface({ input: child.stdout }).on('line', onLine)
    createInterface({ input: child.stderr }).on('line', onLine)

    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    timers.push(
      setTimeout(() => {
        timedOut = true
        killGroup()
      }, o.timeoutMs)
    )
    const onAbort = () => {
      aborted = true
      o.log.warn(`${o.what}: stop requested, asking JMeter to StopTestNow`)
      if (shutdownPort !== undefined) sendUdp(shutdownPort, 'StopTestNow')
      else killGroup()
      timers.push(setTimeout(killGroup, STOP_GRACE_MS))
    }
    o.signal?.addEventListener('abort', onAbort, { once: true })

    child.once('error', err => {
      cleanup()
      const code = (err as NodeJS.ErrnoException).code
      reject(
        code === 'ENOENT'
          ? new PeakcastError(`${o.what}: '${o.command}' not found on PATH`, {}, o.missingHint)
          : new PeakcastError(`${o.what}: could not start '${o.command}': ${err.message}`, {}, o.missingHint)
      )
    })
    child.once('close', (code, sig) => {
      cleanup()
      const finish = async () => {
        if (timedOut || (aborted && sig === 'SIGKILL')) await o.afterKill?.().catch(() => undefined)
        if (timedOut) {
          throw new PeakcastError(
            `${o.what} did not finish within ${(o.timeoutMs / 1000).toFixed(0)} s and was killed; results are incomplete`,
            {},
            'raise the time limit or shorten test.duration / test.rampUp'
          )
        }
        if (aborted) throw abortError(o.what)
        if (code === null) {
          throw new PeakcastError(`${o.what} was killed by ${sig}; last output:\n${tail.join('\n')}`)
        }
        if (code !== 0) o.log.warn(`${o.what} exited with code ${code}; last output:\n${tail.join('\n')}`)
        return code
      }
      finish().then(resolve, reject)
    })

    function cleanup() {
      for (const t of timers) clearTimeout(t)
      o.signal?.removeEventListener('abort', onAbort)
    }
  })
}

function abortError(what: string): PeakcastError {
  return new PeakcastError(`${what}: run aborted; the JTL holds the samples taken until then`)
}

/** JMeter's non-GUI engine listens for one-word commands (Shutdown, StopTestNow) on a UDP port. */
function sendUdp(port: number, message: string): void {
  const socket = createSocket('udp4')
  socket.send(message, port, '127.0.0.1', () => socket.close())
}
