/**
 * Requests → user sessions: a visitor's requests with no pause longer than gapMs between them.
 * The output carries no visitor id, and its order depends only on the sessions' content, so
 * anything derived from it (behaviour models) is reproducible even though visitor hashes are not.
 */

export interface Session {
  events: { t: number; endpoint: string }[]
}

export function sessionize(events: { t: number; visitor: string; endpoint: string }[], gapMs = 30 * 60_000): Session[] {
  const byVisitor = new Map<string, { t: number; endpoint: string }[]>()
  for (const e of events) {
    let list = byVisitor.get(e.visitor)
    if (!list) byVisitor.set(e.visitor, (list = []))
    list.push({ t: e.t, endpoint: e.endpoint })
  }
  const sessions: Session[] = []
  for (const list of byVisitor.values()) {
    list.sort(compareEvents)
    let current: Session = { events: [list[0]] }
    for (let i = 1; i < list.length; i++) {
      if (list[i].t - list[i - 1].t > gapMs) {
        sessions.push(current)
        current = { events: [] }
      }
      current.events.push(list[i])
    }
    sessions.push(current)
  }
  return sessions.sort(compareSessions)
}

function compareEvents(a: { t: number; endpoint: string }, b: { t: number; endpoint: string }): number {
  return a.t - b.t || (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0)
}

function compareSessions(a: Session, b: Session): number {
  const n = Math.min(a.events.length, b.events.length)
  for (let i = 0; i < n; i++) {
    const c = compareEvents(a.events[i], b.events[i])
    if (c !== 0) return c
  }
  return a.events.length - b.events.length
}
