#!/usr/bin/env node
/** Turns raw strings (inputs or flags) into typed option values; a bad value names the option. */
function parseOptions(command, raw) {
    const values = {};
    for (const spec of command.options) {
        const text = raw(spec.name) ?? spec.default;
        if (text === undefined || text === '') {
            if (spec.required)
                throw new Error(`${command.name}: option --${spec.name} is required (${spec.description})`);
            continue;
        }
        if (spec.type === 'number') {
            const n = Number(text);
            if (!Number.isFinite(n))
                throw new Error(`${command.name}: --${spec.name} must be a number, got "${text}"`);
            values[spec.name] = n;
        }
        else if (spec.type === 'boolean') {
            if (!/^(true|false)$/i.test(text))
                throw new Error(`${command.name}: --${spec.name} must be true or false, got "${text}"`);
            values[spec.name] = text.toLowerCase() === 'true';
        }
        else {
            values[spec.name] = text;
        }
    }
    return values;
}

/** Every command, for the action (main.ts) and the terminal (cli.ts). */
const commands = [];
function findCommand(name) {
    const c = commands.find(x => x.name === name);
    if (!c)
        throw new Error(`unknown command "${name}"; expected one of: ${commands.map(x => x.name).join(', ')}`);
    return c;
}

function consoleLogger(stream = process.stderr) {
    const secrets = [];
    const redact = (s) => secrets.reduce((acc, v) => acc.split(v).join('***'), s);
    return {
        info: m => stream.write(`${redact(m)}\n`),
        warn: m => stream.write(`warning: ${redact(m)}\n`),
        step(title) {
            const t0 = Date.now();
            stream.write(`▶ ${redact(title)}\n`);
            return () => stream.write(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
        },
        secret(v) {
            if (v && !secrets.includes(v))
                secrets.push(v);
        }
    };
}

// The terminal front end: parse argv, run one command, map the outcome to an exit code.
function usage() {
    const lines = ['usage: peakcast <command> [--option value …]', '', 'commands:'];
    for (const c of commands) {
        lines.push(`  ${c.name.padEnd(18)}${c.summary}`);
        for (const o of c.options)
            lines.push(`      --${o.name}${o.type === 'boolean' ? '' : ' <' + o.type + '>'}  ${o.description}${o.default ? ` (default ${o.default})` : ''}`);
    }
    return lines.join('\n');
}
/** `--name value`, `--name=value`, and bare `--flag` (true). */
function parseArgv(argv) {
    const flags = new Map();
    let command;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (!a.startsWith('--')) {
            if (command)
                throw new Error(`unexpected argument "${a}"`);
            command = a;
            continue;
        }
        const eq = a.indexOf('=');
        if (eq > 0)
            flags.set(a.slice(2, eq), a.slice(eq + 1));
        else if (i + 1 < argv.length && !argv[i + 1].startsWith('--'))
            flags.set(a.slice(2), argv[++i]);
        else
            flags.set(a.slice(2), 'true');
    }
    return { command, flags };
}
async function main(argv) {
    const log = consoleLogger();
    try {
        const { command: name, flags } = parseArgv(argv);
        if (!name || name === 'help' || flags.has('help')) {
            process.stdout.write(`${usage()}\n`);
            return name ? 0 : 2;
        }
        const command = findCommand(name);
        const known = new Set(command.options.map(o => o.name));
        for (const f of flags.keys())
            if (!known.has(f))
                throw new Error(`${name}: unknown option --${f}; known: ${[...known].map(k => `--${k}`).join(', ')}`);
        const outcome = await command.run(parseOptions(command, n => flags.get(n)), { log, cwd: process.cwd(), env: process.env, now: Date.now() });
        process.stdout.write(`${outcome.text}\n`);
        if (outcome.failure) {
            log.warn(outcome.failure);
            return 1;
        }
        return 0;
    }
    catch (err) {
        process.stderr.write(`peakcast: ${err instanceof Error ? err.message : String(err)}\n`);
        return 1;
    }
}

// `peakcast <command> [--option value …]`: the action's commands in a terminal.
process.exitCode = await main(process.argv.slice(2));
