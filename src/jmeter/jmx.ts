import type { BehaviourProfile, EndpointLoad, ThinkTime, Workload } from '../workload/workload.js'
import { sessionMix } from '../workload/session-mix.js'
import { PeakcastError } from '../util/errors.js'

/**
 * Renders a workload as a JMeter 5.6.3 test plan built from stock elements only.
 *
 * Load model: an Open Model Thread Group (JMeter ≥ 5.5) starts one thread per arrival with
 * Poisson ("random_arrivals") spacing, so the request rate is the workload's target no matter how
 * slow the service gets (a closed thread pool would back off and hide the slowdown). Schedule:
 * ramp linearly from 0 to peakcast.rps over peakcast.rampup seconds, then hold for
 * peakcast.duration seconds, then pause peakcast.drain seconds so requests still in flight can
 * finish (JMeter interrupts threads alive when the schedule ends, and records their samples as
 * failures). Each arrival sends exactly one request.
 *
 * Endpoint mix: a Switch Controller picks the request by index. The index comes from a golden-ratio
 * (Kronecker) sequence over one counter shared by all threads, mapped through the cumulative
 * weights: every prefix of the run holds each endpoint within about one request of its exact
 * share, and the same peakcast.seed gives the same order (a seeded random pick would drift by
 * ±sqrt(n) and differ per run).
 *
 * Think time is deliberately not applied: with one request per arrival a timer would only delay
 * that request, not change the arrival rate; think time enters the thread estimate (Little's law)
 * in the workload instead. peakcast.threads (that Little's-law estimate) is listed with the other
 * parameters for readers, but stock 5.6.3's open model has no thread cap: concurrency is bounded
 * by rate × peakcast.timeoutMs instead.
 *
 * With behaviour profiles (workload.profiles non-empty) each arrival is a SESSION instead:
 * - Rate: sessions arrive at peakcast.sessionRate, by default peakcast.rps ÷ the expected
 *   requests per session E = Σ_p share_p · (start_p · (I − T_p)⁻¹ · 1) (session-mix.ts), so
 *   requests still arrive at peakcast.rps on average, and -Jpeakcast.rps (e.g. per shard) still
 *   scales the plan.
 * - Walk: once per session, an If Controller's __jexl3 condition walks the profile's chain and
 *   stores the path in thread variables; a While Controller named "session" then sends the
 *   request of each step (Switch Controller on the stored endpoint index, read with __V and the
 *   loop index __jm__session__idx) until the stored "false". Which profile, start state and next
 *   state (or exit) come from an integer hash of (peakcast.seed, thread number, draw index), so
 *   a session's path is a pure function of those and the same seed replays the same sessions.
 *   JEXL needs no script engine start-up (Groovy delayed the first arrivals by about 7 s), and
 *   per step only variable look-ups run.
 * - Think time: only between two requests of a session (an If Controller asks whether the walk
 *   goes on), as a Flow Control Action carrying the profile's stock timer: Constant Timer,
 *   Gaussian Random Timer (JMeter folds negative draws, session-mix.ts accounts for it), or
 *   Uniform Random Timer (width sd·√12, narrowed to keep the mean).
 * - peakcast.drain defaults to three mean session durations (10..180 s) so sessions started late
 *   can finish.
 *
 * Every run-time parameter is a JMeter property with the workload's value as default, so the
 * runner (or a human) overrides it with -J without re-rendering.
 */
export function renderJmx(w: Workload): string {
  const target = parseBaseUrl(w.target.baseUrl)
  checkEndpoints(w.endpoints)
  const defaults: Record<string, string> = {
    'peakcast.connectTimeoutMs': '5000',
    'peakcast.drain': String(DEFAULT_DRAIN_S),
    'peakcast.duration': int(w.test.duration, 'test.duration'),
    'peakcast.host': target.host,
    'peakcast.port': target.port,
    'peakcast.protocol': target.protocol,
    'peakcast.rampup': int(w.test.rampUp, 'test.rampUp'),
    'peakcast.rps': num(w.test.targetRps, 'test.targetRps'),
    'peakcast.seed': DEFAULT_SEED,
    'peakcast.threads': int(w.test.threads, 'test.threads'),
    'peakcast.timeoutMs': '30000'
  }
  const sessions = w.profiles && w.profiles.length > 0 ? sessionPlan(w, w.profiles) : undefined
  if (sessions) {
    defaults['peakcast.drain'] = String(sessions.drainS)
    defaults['peakcast.sessionRate'] = `\${__jexl3(\${__P(peakcast.rps,${defaults['peakcast.rps']})} / ${sessions.requests})}`
  }
  const p = (name: string) => `\${__P(${name},${defaults[name]})}`
  const rate = p(sessions ? 'peakcast.sessionRate' : 'peakcast.rps')
  const schedule =
    `rate(0/sec) random_arrivals(${p('peakcast.rampup')} sec) ` +
    `rate(${rate}/sec) random_arrivals(${p('peakcast.duration')} sec) rate(${rate}/sec) ` +
    `pause(${p('peakcast.drain')} sec)`

  const lines: string[] = []
  const out = (depth: number, s: string) => lines.push(`${'  '.repeat(depth)}${s}`)
  out(0, '<?xml version="1.0" encoding="UTF-8"?>')
  out(0, '<!-- generated by peakcast from the workload YAML; edit that (or peakcast.yaml), not this file -->')
  out(0, '<jmeterTestPlan version="1.2" properties="5.0" jmeter="5.6.3">')
  out(1, '<hashTree>')
  out(2, `<TestPlan guiclass="TestPlanGui" testclass="TestPlan" testname="${esc(`peakcast ${w.service}`)}">`)
  out(3, '<boolProp name="TestPlan.functional_mode">false</boolProp>')
  out(3, '<boolProp name="TestPlan.serialize_threadgroups">false</boolProp>')
  out(3, '<boolProp name="TestPlan.tearDown_on_shutdown">true</boolProp>')
  out(3, '<elementProp name="TestPlan.user_defined_variables" elementType="Arguments" guiclass="ArgumentsPanel" testclass="Arguments" testname="User Defined Variables">')
  out(4, '<collectionProp name="Arguments.arguments">')
  // Visible in the GUI and in jmeter.log, so a reader sees which parameters the plan takes.
  for (const name of Object.keys(defaults).sort()) {
    out(5, `<elementProp name="${name}" elementType="Argument">`)
    out(6, `<stringProp name="Argument.name">${name}</stringProp>`)
    out(6, `<stringProp name="Argument.value">${esc(p(name))}</stringProp>`)
    out(6, '<stringProp name="Argument.metadata">=</stringProp>')
    out(5, '</elementProp>')
  }
  out(4, '</collectionProp>')
  out(3, '</elementProp>')
  out(2, '</TestPlan>')
  out(2, '<hashTree>')
  out(3, '<ConfigTestElement guiclass="HttpDefaultsGui" testclass="ConfigTestElement" testname="HTTP Request Defaults">')
  out(4, `<stringProp name="HTTPSampler.protocol">${esc(p('peakcast.protocol'))}</stringProp>`)
  out(4, `<stringProp name="HTTPSampler.domain">${esc(p('peakcast.host'))}</stringProp>`)
  out(4, `<stringProp name="HTTPSampler.port">${esc(p('peakcast.port'))}</stringProp>`)
  out(4, `<stringProp name="HTTPSampler.connect_timeout">${esc(p('peakcast.connectTimeoutMs'))}</stringProp>`)
  out(4, `<stringProp name="HTTPSampler.response_timeout">${esc(p('peakcast.timeoutMs'))}</stringProp>`)
  out(4, '<stringProp name="HTTPSampler.implementation">HttpClient4</stringProp>')
  emptyArguments(out, 4)
  out(3, '</ConfigTestElement>')
  out(3, '<hashTree/>')
  out(3, `<OpenModelThreadGroup guiclass="OpenModelThreadGroupGui" testclass="OpenModelThreadGroup" testname="${esc(w.service)}">`)
  out(4, '<elementProp name="ThreadGroup.main_controller" elementType="OpenModelThreadGroupController"/>')
  out(4, '<stringProp name="ThreadGroup.on_sample_error">continue</stringProp>')
  out(4, `<stringProp name="OpenModelThreadGroup.schedule">${esc(schedule)}</stringProp>`)
  out(4, `<stringProp name="OpenModelThreadGroup.random_seed">${esc(p('peakcast.seed'))}</stringProp>`)
  out(3, '</OpenModelThreadGroup>')
  out(3, '<hashTree>')
  if (sessions) {
    renderSessions(out, 4, w, sessions, target.basePath)
  } else {
    out(4, '<SwitchController guiclass="SwitchControllerGui" testclass="SwitchController" testname="endpoint mix">')
    out(5, `<stringProp name="SwitchController.value">${esc(mixPicker(w.endpoints))}</stringProp>`)
    out(4, '</SwitchController>')
    out(4, '<hashTree>')
    for (const e of w.endpoints) renderSampler(out, 5, e, target.basePath)
    out(4, '</hashTree>')
  }
  out(3, '</hashTree>')
  out(2, '</hashTree>')
  out(1, '</hashTree>')
  out(0, '</jmeterTestPlan>')
  return `${lines.join('\n')}\n`
}

type Out = (depth: number, s: string) => void

/** What the session elements need, derived once from the profiles. */
interface SessionPlan {
  /** expected requests per session, 6 decimals */
  requests: string
  drainS: number
  chain: ChainData
}

/** Seconds the plan pauses after its schedule (peakcast.drain): three mean session durations, 10..180 s. */
function drainFor(durationMs: number): number {
  return Math.min(180, Math.max(10, Math.ceil((3 * durationMs) / 1000)))
}

/** The drain the rendered plan uses by default: 10 s, or the sessions' drain when the workload has profiles. */
export function drainSeconds(w: Pick<Workload, 'profiles' | 'test'>): number {
  return w.profiles && w.profiles.length > 0 ? drainFor(sessionMix(w.profiles, w.test.latencyMs).durationMs) : DEFAULT_DRAIN_S
}

function sessionPlan(w: Workload, profiles: BehaviourProfile[]): SessionPlan {
  const mix = sessionMix(profiles, w.test.latencyMs)
  return { requests: mix.requests.toFixed(6), drainS: drainFor(mix.durationMs), chain: chainData(w.endpoints, profiles) }
}

/**
 * The session: If (walk the chain once, into variables) { While (a request at this step) {
 * Switch (its endpoint) → request; If (another request follows) { Switch (profile) → Flow
 * Control Action + think timer } } }. Per step only __V look-ups run: the walk costs one JEXL
 * parse per session (__jexl3 keeps one engine per thread, and each arrival is a new thread).
 */
function renderSessions(out: Out, d: number, w: Workload, plan: SessionPlan, basePath: string): void {
  const profiles = w.profiles as BehaviourProfile[]
  const atStep = (name: string) => `\${__V(${name}${STEP})}`
  out(d, '<IfController guiclass="IfControllerPanel" testclass="IfController" testname="walk the profile chain">')
  out(d + 1, `<stringProp name="IfController.condition">${esc(walkScript(plan.chain))}</stringProp>`)
  out(d + 1, '<boolProp name="IfController.evaluateAll">false</boolProp>')
  out(d + 1, '<boolProp name="IfController.useExpression">true</boolProp>')
  out(d, '</IfController>')
  out(d, '<hashTree>')
  out(d + 1, `<WhileController guiclass="WhileControllerGui" testclass="WhileController" testname="${SESSION_LOOP}">`)
  out(d + 2, `<stringProp name="WhileController.condition">${esc(atStep(VAR_STEP))}</stringProp>`)
  out(d + 1, '</WhileController>')
  out(d + 1, '<hashTree>')
  out(d + 2, '<SwitchController guiclass="SwitchControllerGui" testclass="SwitchController" testname="endpoint of this step">')
  out(d + 3, `<stringProp name="SwitchController.value">${esc(atStep(VAR_STEP))}</stringProp>`)
  out(d + 2, '</SwitchController>')
  out(d + 2, '<hashTree>')
  for (const e of w.endpoints) renderSampler(out, d + 3, e, basePath)
  out(d + 2, '</hashTree>')
  out(d + 2, '<IfController guiclass="IfControllerPanel" testclass="IfController" testname="think unless the session ends here">')
  out(d + 3, `<stringProp name="IfController.condition">${esc(atStep(VAR_THINK))}</stringProp>`)
  out(d + 3, '<boolProp name="IfController.evaluateAll">false</boolProp>')
  out(d + 3, '<boolProp name="IfController.useExpression">true</boolProp>')
  out(d + 2, '</IfController>')
  out(d + 2, '<hashTree>')
  out(d + 3, '<SwitchController guiclass="SwitchControllerGui" testclass="SwitchController" testname="think time of the profile">')
  out(d + 4, `<stringProp name="SwitchController.value">\${${VAR_PROFILE}}</stringProp>`)
  out(d + 3, '</SwitchController>')
  out(d + 3, '<hashTree>')
  for (const p of profiles) renderThink(out, d + 4, p)
  out(d + 3, '</hashTree>')
  out(d + 2, '</hashTree>')
  out(d + 1, '</hashTree>')
  out(d, '</hashTree>')
}

/** A Flow Control Action (pause 0, records no sample) whose timer child is the think time. */
function renderThink(out: Out, d: number, p: BehaviourProfile): void {
  const t = p.thinkTime
  out(d, `<TestAction guiclass="TestActionGui" testclass="TestAction" testname="${esc(`think ${p.name}`)}">`)
  out(d + 1, '<intProp name="ActionProcessor.action">1</intProp>')
  out(d + 1, '<intProp name="ActionProcessor.target">0</intProp>')
  out(d + 1, '<stringProp name="ActionProcessor.duration">0</stringProp>')
  out(d, '</TestAction>')
  out(d, '<hashTree>')
  const ms = (x: number) => String(Math.max(0, Math.round(x)))
  if (t.distribution === 'constant' || t.stdDevMs <= 0) {
    out(d + 1, `<ConstantTimer guiclass="ConstantTimerGui" testclass="ConstantTimer" testname="${esc(thinkLabel(t))}">`)
    out(d + 2, `<stringProp name="ConstantTimer.delay">${ms(t.meanMs)}</stringProp>`)
    out(d + 1, '</ConstantTimer>')
  } else if (t.distribution === 'gaussian') {
    out(d + 1, `<GaussianRandomTimer guiclass="GaussianRandomTimerGui" testclass="GaussianRandomTimer" testname="${esc(thinkLabel(t))}">`)
    out(d + 2, `<stringProp name="ConstantTimer.delay">${ms(t.meanMs)}</stringProp>`)
    out(d + 2, `<stringProp name="RandomTimer.range">${ms(t.stdDevMs)}</stringProp>`)
    out(d + 1, '</GaussianRandomTimer>')
  } else {
    // offset + U(0, width): width sd·√12 gives the sd, narrowed to 2·mean so the mean holds
    const width = Math.min(t.stdDevMs * Math.sqrt(12), 2 * t.meanMs)
    out(d + 1, `<UniformRandomTimer guiclass="UniformRandomTimerGui" testclass="UniformRandomTimer" testname="${esc(thinkLabel(t))}">`)
    out(d + 2, `<stringProp name="ConstantTimer.delay">${ms(t.meanMs - width / 2)}</stringProp>`)
    out(d + 2, `<stringProp name="RandomTimer.range">${ms(width)}</stringProp>`)
    out(d + 1, '</UniformRandomTimer>')
  }
  out(d + 1, '<hashTree/>')
  out(d, '</hashTree>')
}

function thinkLabel(t: ThinkTime): string {
  return `think ${t.distribution} ${Math.round(t.meanMs)} ms ± ${Math.round(t.stdDevMs)} ms`
}

/** Names the loop, and so JMeter's index variable __jm__<name>__idx the steps read. */
const SESSION_LOOP = 'session'
const STEP = `\${__jm__${SESSION_LOOP}__idx}`
/** Thread variables the walk fills: endpoint index per step (then "false"), think after step i?, profile. */
const VAR_STEP = 'peakcastStep_'
const VAR_THINK = 'peakcastThink_'
const VAR_PROFILE = 'peakcastProfile'
/** A runaway guard: no session is longer than this, whatever the chain says. */
const MAX_STEPS = 1000

/** The profiles as JEXL array literals of cumulative probabilities in 1/10000 units, each ending in 10000. */
interface ChainData {
  shares: string
  /** per profile: endpoint index of each state */
  endpoints: string
  /** per profile: the number of states */
  sizes: string
  starts: string
  /** per profile, per state: next states, then exit */
  rows: string
}

function chainData(endpoints: EndpointLoad[], profiles: BehaviourProfile[]): ChainData {
  const index = new Map(endpoints.map((e, i) => [e.name, i]))
  const list = (xs: (string | number)[]) => `[${xs.join(', ')}]`
  // the last entry is 10000 whatever the rounding left, so every draw in [0, 10000) lands somewhere
  const cumulative = (units: number[]) => {
    let acc = 0
    return list(units.map((u, i) => (i === units.length - 1 ? 10000 : (acc = Math.min(10000, acc + u)))))
  }
  const units = (x: number) => Math.round(x * 10000)
  const total = profiles.reduce((a, p) => a + p.share, 0)
  return {
    shares: cumulative(profiles.map(p => units(p.share / total))),
    endpoints: list(
      profiles.map((p, i) =>
        list(
          p.states.map((name, j) => {
            const k = index.get(name)
            if (k === undefined) {
              throw new PeakcastError(`state ${JSON.stringify(name)} of profile "${p.name}" is not an endpoint`, { field: `profiles[${i}].states[${j}]` }, 'states must be endpoint names')
            }
            return k
          })
        )
      )
    ),
    sizes: list(profiles.map(p => p.states.length)),
    starts: list(profiles.map(p => cumulative(p.start.map(units)))),
    rows: list(profiles.map(p => list(p.transitions.map(row => cumulative([...row, 0].map(units))))))
  }
}

/**
 * The __jexl3 expression that walks this thread's session once and stores it in thread
 * variables: peakcastStep_<i> = endpoint index of step i (then "false", which ends the While
 * Controller), peakcastThink_<i> = whether a request follows step i, peakcastProfile. Returns
 * true (the If Controller around the session). Draw i is
 * hash((hash(seed · 1000003 + thread) + i · 2654435769) mod 2³²) / 2³², the hash being
 * Mueller's 32-bit integer mix in plain JEXL arithmetic (/ 65536 for >> 16, % 2³² for the 32-bit
 * wrap; products stay below 2⁶³). Draw 0 picks the profile, draw 1 the start state, draw t + 1
 * the state after step t. The thread number comes from the JEXL context, so the script text is
 * the same for every session.
 */
function walkScript(chain: ChainData): string {
  const mix = 'x = ((x / 65536) ^ x) * 73244475 % 4294967296; x = ((x / 65536) ^ x) * 73244475 % 4294967296; x = (x / 65536) ^ x;'
  const script = [
    `var x = (SEED * 1000003 + ctx.getThreadNum()) % 4294967296; ${mix} var base = x;`,
    `var P = ${chain.shares}; var E = ${chain.endpoints}; var N = ${chain.sizes}; var S = ${chain.starts}; var T = ${chain.rows};`,
    'var p = -1; var s = -1; var i = 0; var k = 0; var u = 0.0; var c = P; var j = 0;',
    `while ((i < 2 || s >= 0) && k < ${MAX_STEPS}) {`,
    `x = (base + i * 2654435769) % 4294967296; ${mix} u = x / 429496.7296;`,
    'c = i == 0 ? P : (i == 1 ? S[p] : T[p][s]); j = 0; while (u >= c[j]) { j = j + 1; }',
    'if (i == 0) { p = j; } else { s = j < N[p] ? j : -1; if (s >= 0) {',
    `vars.put("${VAR_STEP}" + k, "" + E[p][s]); if (k > 0) { vars.put("${VAR_THINK}" + (k - 1), "true"); } k = k + 1; } }`,
    'i = i + 1; }',
    `vars.put("${VAR_STEP}" + k, "false"); vars.put("${VAR_THINK}" + (k - 1), "false"); vars.put("${VAR_PROFILE}", "" + p); true`
  ].join(' ')
  // __P goes in after the commas are escaped: its own comma separates its arguments
  return `\${__jexl3(${script.replace(/,/g, '\\,').replace('SEED', `\${__P(peakcast.seed,${DEFAULT_SEED})}`)})}`
}

function renderSampler(out: Out, d: number, e: EndpointLoad, basePath: string): void {
  const method = e.method.toUpperCase()
  out(d, `<HTTPSamplerProxy guiclass="HttpTestSampleGui" testclass="HTTPSamplerProxy" testname="${esc(e.name)}">`)
  out(d + 1, `<stringProp name="HTTPSampler.path">${esc(joinPath(basePath, e.path))}</stringProp>`)
  out(d + 1, `<stringProp name="HTTPSampler.method">${esc(method)}</stringProp>`)
  out(d + 1, '<boolProp name="HTTPSampler.follow_redirects">true</boolProp>')
  out(d + 1, '<boolProp name="HTTPSampler.use_keepalive">true</boolProp>')
  if (e.body === undefined) {
    out(d + 1, '<boolProp name="HTTPSampler.postBodyRaw">false</boolProp>')
    emptyArguments(out, d + 1)
    out(d, '</HTTPSamplerProxy>')
    out(d, '<hashTree/>')
    return
  }
  out(d + 1, '<boolProp name="HTTPSampler.postBodyRaw">true</boolProp>')
  out(d + 1, '<elementProp name="HTTPsampler.Arguments" elementType="Arguments">')
  out(d + 2, '<collectionProp name="Arguments.arguments">')
  out(d + 3, '<elementProp name="" elementType="HTTPArgument">')
  out(d + 4, '<boolProp name="HTTPArgument.always_encode">false</boolProp>')
  out(d + 4, `<stringProp name="Argument.value">${esc(e.body)}</stringProp>`)
  out(d + 4, '<stringProp name="Argument.metadata">=</stringProp>')
  out(d + 3, '</elementProp>')
  out(d + 2, '</collectionProp>')
  out(d + 1, '</elementProp>')
  out(d, '</HTTPSamplerProxy>')
  out(d, '<hashTree>')
  out(d + 1, '<HeaderManager guiclass="HeaderPanel" testclass="HeaderManager" testname="JSON body">')
  out(d + 2, '<collectionProp name="HeaderManager.headers">')
  out(d + 3, '<elementProp name="" elementType="Header">')
  out(d + 4, '<stringProp name="Header.name">Content-Type</stringProp>')
  out(d + 4, '<stringProp name="Header.value">application/json</stringProp>')
  out(d + 3, '</elementProp>')
  out(d + 2, '</collectionProp>')
  out(d + 1, '</HeaderManager>')
  out(d + 1, '<hashTree/>')
  out(d, '</hashTree>')
}

function emptyArguments(out: Out, d: number): void {
  out(d, '<elementProp name="HTTPsampler.Arguments" elementType="Arguments" guiclass="HTTPArgumentsPanel" testclass="Arguments" testname="User Defined Variables">')
  out(d + 1, '<collectionProp name="Arguments.arguments"/>')
  out(d, '</elementProp>')
}

/** Fixed by default so two runs of the same plan send the same arrivals and mix. */
const DEFAULT_SEED = '1'
/** Drain of a plan without sessions: long enough for requests in flight (timeouts are 30 s, but the 95th percentile is what matters). */
const DEFAULT_DRAIN_S = 10

/** Golden-ratio conjugate and 1/√2: irrational steps whose multiples spread evenly over [0,1). */
const PHI = '0.6180339887498949'
const SEED_STEP = '0.7071067811865476'

/**
 * A __jexl3 expression (stock JMeter) that returns the index of the next endpoint: the global
 * __counter (shared by all threads) times the golden-ratio conjugate, plus a seed offset, modulo 1,
 * looked up in the cumulative weights. JEXL rather than Groovy: nothing to compile, so the first
 * arrivals are not held up while a script engine starts.
 */
export function mixPicker(endpoints: EndpointLoad[]): string {
  const total = endpoints.reduce((s, e) => s + e.weight, 0)
  let acc = 0
  const thresholds = endpoints.slice(0, -1).map(e => {
    acc += e.weight
    return (acc / total).toFixed(6)
  })
  const u = `(\${__counter(FALSE,)} * ${PHI} + \${__P(peakcast.seed,${DEFAULT_SEED})} * ${SEED_STEP}) % 1`
  const choose = thresholds.map((t, i) => `u < ${t} ? ${i} : `).join('') + String(endpoints.length - 1)
  return `\${__jexl3(var u = ${u}; ${choose})}`
}

interface Target {
  protocol: string
  host: string
  port: string
  basePath: string
}

function parseBaseUrl(baseUrl: string): Target {
  let url: URL
  try {
    url = new URL(baseUrl)
  } catch {
    throw new PeakcastError(`not a URL: ${JSON.stringify(baseUrl)}`, { field: 'target.baseUrl' }, 'use e.g. https://staging.example.com')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PeakcastError(`protocol must be http or https, got ${url.protocol}`, { field: 'target.baseUrl' })
  }
  const protocol = url.protocol.slice(0, -1)
  return {
    protocol,
    // URL keeps IPv6 literals bracketed; JMeter's domain field wants them bare.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port || (protocol === 'https' ? '443' : '80'),
    basePath: url.pathname.replace(/\/+$/, '')
  }
}

function checkEndpoints(endpoints: EndpointLoad[]): void {
  if (endpoints.length === 0) throw new PeakcastError('no endpoints to load', { field: 'endpoints' })
  const seen = new Set<string>()
  endpoints.forEach((e, i) => {
    const field = `endpoints[${i}]`
    if (seen.has(e.name)) throw new PeakcastError(`duplicate endpoint name ${JSON.stringify(e.name)}`, { field: `${field}.name` }, 'names label the results and must be unique')
    seen.add(e.name)
    if (!(Number.isFinite(e.weight) && e.weight >= 0)) throw new PeakcastError(`weight must be a number >= 0, got ${e.weight}`, { field: `${field}.weight` })
  })
  if (!(endpoints.reduce((s, e) => s + e.weight, 0) > 0)) throw new PeakcastError('endpoint weights sum to 0', { field: 'endpoints' })
}

function joinPath(basePath: string, path: string): string {
  return `${basePath}${path.startsWith('/') ? '' : '/'}${path}`
}

function int(v: number, field: string): string {
  if (!(Number.isInteger(v) && v >= 0)) throw new PeakcastError(`must be a whole number >= 0, got ${v}`, { field })
  return String(v)
}

/** Fixed short decimals so the bytes do not depend on float noise (1551.0000000002 → 1551). */
function num(v: number, field: string): string {
  if (!(Number.isFinite(v) && v > 0)) throw new PeakcastError(`must be a number > 0, got ${v}`, { field })
  return String(Number(v.toFixed(3)))
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string)
}
