/**
 * `megaraptor deployments …` — what the app has deployed, and the operations on it, from the command
 * line (the same journals, keychain and connections as the desktop app): list, status, logs, restart,
 * renew, extend, scale-out, hold, export, docs, destroy, reap. `reap` is what a scheduler runs when the app is
 * not open: it destroys every deployment past its time (after exporting its flows and hunts unless
 * told not to). Destroy asks for the evidence choice explicitly and for --yes.
 */
import { resolve } from 'node:path';
import { holdProtection } from '../../../shared/deploy';
import { parseFlags, UsageError, type FlagSpec } from '../args';
import type { CliIO, Command } from '../command';
import { openDeployments, progressPrinter, writeJson } from './deploy-common';

const USAGE = `Usage: megaraptor deployments <subcommand> [options]

  list [--json]                              every deployment: state, profile, expiry, certificates
  status ID|NAME [--json]                    the journal and the target's health
  logs ID|NAME [--lines N]                   the server's last log lines
  restart ID|NAME                            stop and start the server, wait until it serves
  renew ID|NAME [--rotate-gateway]           renew its certificates under its CA (same keys)
  extend ID|NAME --hours H                   move its self-destruction (and the target's timer)
  scale-out ID|NAME [--port N] [--bind ADDR] [--plan]
                                             one more Velociraptor minion (multi-frontend deployments on
                                             Docker or AWS; --bind is Docker's); --plan shows what it
                                             would add and changes nothing
  hold ID|NAME --reason TEXT | --lift        place or lift a legal hold (nothing destroys it meanwhile)
  export ID|NAME [--out DIR]                 every flow and hunt as zips + manifest (SHA-256)
  docs ID|NAME [--out DIR]                   hand-over docs: URLs, CA fingerprint, agents' config
  destroy ID|NAME (--export DIR | --no-export) --yes
                                             remove exactly what the journal lists
  reap [--export-dir DIR | --no-export] [--json]
                                             destroy every deployment past its time

Progress goes to stderr. Exit code 1 when an operation fails (what it could not undo is said).
`;

const SUB: Record<string, Record<string, FlagSpec>> = {
  list: { '--json': {} },
  status: { '--json': {} },
  logs: { '--lines': { value: true } },
  restart: {},
  renew: { '--rotate-gateway': {} },
  extend: { '--hours': { value: true } },
  'scale-out': { '--port': { value: true }, '--bind': { value: true }, '--plan': {} },
  hold: { '--reason': { value: true }, '--lift': {} },
  export: { '--out': { value: true } },
  docs: { '--out': { value: true } },
  destroy: { '--export': { value: true }, '--no-export': {}, '--yes': {} },
  reap: { '--export-dir': { value: true }, '--no-export': {}, '--json': {} },
};

function days(n: number): string {
  return n < 1 ? `${Math.round(n * 24)} h` : `${Math.floor(n)} d`;
}

export const deploymentsCommand: Command = {
  name: 'deployments',
  summary: 'list deployments and operate on them (status, renew, extend, destroy, reap…)',
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const [sub, ...rest] = argv;
    const spec = sub ? SUB[sub] : undefined;
    if (!sub || !spec)
      throw new UsageError(`unknown subcommand${sub ? ` "${sub}"` : ''}: ${Object.keys(SUB).join(', ')}`);
    const flags = parseFlags(rest, spec, { positionals: sub !== 'list' && sub !== 'reap' });
    const needsId = sub !== 'list' && sub !== 'reap';
    const id = flags.positionals[0];
    if (needsId && (!id || flags.positionals.length > 1))
      throw new UsageError(`${sub} takes one deployment id or name`);
    if (sub === 'destroy') {
      if (flags.has('--export') === flags.has('--no-export'))
        throw new UsageError(
          'choose what happens to the evidence first: --export DIR (every flow and hunt, zip + SHA-256 manifest) or --no-export',
        );
      if (!flags.has('--yes'))
        throw new UsageError('destroy removes the server and its data: add --yes to confirm');
    }
    if (sub === 'reap' && flags.has('--export-dir') && flags.has('--no-export'))
      throw new UsageError('give --export-dir or --no-export, not both');
    if (sub === 'hold' && flags.has('--reason') === flags.has('--lift'))
      throw new UsageError('hold takes --reason TEXT (place) or --lift');
    const hours = sub === 'extend' ? Number(flags.get('--hours')) : NaN;
    if (sub === 'extend' && !(hours > 0)) throw new UsageError('extend needs --hours H (a positive number)');
    const port = flags.get('--port') === undefined ? undefined : Number(flags.get('--port'));
    if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))
      throw new UsageError('--port must be a port number (1-65535)');
    const bind = flags.get('--bind');
    const lines = flags.get('--lines') === undefined ? 200 : Number(flags.get('--lines'));
    if (!Number.isInteger(lines) || lines < 1) throw new UsageError('--lines must be a positive integer');

    const d = await openDeployments(io);
    const s = d.service;
    const onEvent = progressPrinter(io);
    try {
      switch (sub) {
        case 'list': {
          const { deployments, problems } = await s.list();
          if (flags.has('--json')) {
            writeJson(io, { deployments, problems });
            return 0;
          }
          if (!deployments.length) io.stdout.write('No deployments.\n');
          for (const x of deployments) {
            const certs = x.certificates.filter((c) => c.renewable);
            const soonest = certs.sort((a, b) => a.daysLeft - b.daysLeft)[0];
            io.stdout.write(
              [
                x.id.padEnd(18),
                x.name.padEnd(20),
                x.target.padEnd(7),
                x.profile.padEnd(10),
                (x.interrupted ? `${x.state} (interrupted)` : x.state).padEnd(14),
                soonest ? `certs ${days(soonest.daysLeft)}` : '',
                x.autoDestroyAt ? ` destroys ${x.autoDestroyAt}` : '',
                x.legalHold ? ' LEGAL HOLD' : '',
              ].join(' ') + '\n',
            );
            for (const n of x.notices) io.stdout.write(`    ${n.level}: ${n.message}\n`);
          }
          for (const p of problems) io.stderr.write(`unreadable journal ${p.id}: ${p.message}\n`);
          return 0;
        }
        case 'status': {
          const st = await s.status(id!);
          if (flags.has('--json')) writeJson(io, st);
          else {
            const x = st.deployment;
            io.stdout.write(
              [
                `${x.name} (${x.id}) — ${x.target}, ${x.profile}, ${x.state}`,
                `  health: ${st.health ? `${st.health.ok ? 'ok' : 'NOT OK'} — ${st.health.state}; ${st.health.detail}` : (st.healthError ?? 'not deployed')}`,
                ...['guiUrl', 'apiEndpoint', 'frontendUrl', 'caFingerprint', 'connectionName'].map(
                  (k) => `  ${k}: ${String(x.outputs[k] ?? '')}`,
                ),
                ...x.certificates.map(
                  (c) => `  ${c.title}: until ${c.notAfter} (${days(c.daysLeft)}, ${c.level})`,
                ),
                x.autoDestroyAt ? `  destroys itself at ${x.autoDestroyAt}` : '  no self-destruction',
                ...(x.legalHold
                  ? [
                      `  LEGAL HOLD since ${x.legalHold.since}: ${x.legalHold.reason}. ${holdProtection(x.legalHold)}`,
                    ]
                  : []),
                ...x.notices.map((n) => `  ${n.level}: ${n.message}`),
                '',
              ].join('\n'),
            );
          }
          return st.health && !st.health.ok ? 1 : 0;
        }
        case 'logs':
          io.stdout.write(await s.logs(id!, lines));
          return 0;
        case 'restart':
          await s.restart(id!, { onEvent });
          io.stdout.write('Restarted.\n');
          return 0;
        case 'renew': {
          const r = await s.renewCertificates(
            id!,
            flags.has('--rotate-gateway') ? 'rotate-gateway' : 'renew',
            {
              onEvent,
            },
          );
          io.stdout.write(`${r.operation.title}: done.\n`);
          for (const [k, v] of Object.entries(r.operation.details ?? {}))
            io.stdout.write(`  ${k}: ${String(v)}\n`);
          return 0;
        }
        case 'extend': {
          const r = await s.extend(id!, hours, { onEvent });
          io.stdout.write(`Destroys itself at ${String(r.journal.autoDestroyAt)}.\n`);
          return 0;
        }
        case 'scale-out': {
          const request = { ...(port !== undefined ? { port } : {}), ...(bind ? { bindAddress: bind } : {}) };
          if (flags.has('--plan')) {
            const p = await s.scaleOutPlan(id!, request);
            io.stdout.write(
              [
                `Scale-out of ${p.name} (${p.id}, ${p.target}): minion ${p.node}`,
                ...p.steps.map((x) => `  step: ${x}`),
                ...p.resources.map((r) => `  makes ${r.kind} ${r.id} (${r.title})`),
                '',
              ].join('\n'),
            );
            return 0;
          }
          const r = await s.scaleOut(id!, request, { onEvent });
          io.stdout.write(`${r.operation.title}: done; the master reports it.\n`);
          return 0;
        }
        case 'hold': {
          const r = await s.setLegalHold(id!, !flags.has('--lift'), flags.get('--reason') ?? '', { onEvent });
          io.stdout.write(
            r.journal.legalHold
              ? `Legal hold placed. ${holdProtection(r.journal.legalHold)}\n`
              : `Legal hold lifted.${r.journal.autoDestroyAt ? ` It destroys itself at ${r.journal.autoDestroyAt}.` : ''}\n`,
          );
          return 0;
        }
        case 'export': {
          const out = flags.get('--out');
          const e = await s.exportEvidence(id!, out ? resolve(io.cwd, out) : undefined, {
            onProgress: (p) => io.stderr.write(`   ${p.done}/${p.total} ${p.what}\n`),
          });
          io.stdout.write(`${e.files.length} file(s) in ${e.folder}; manifest ${e.manifest}\n`);
          for (const f of e.failures) io.stderr.write(`FAILED ${f.what}: ${f.error}\n`);
          return e.failures.length ? 1 : 0;
        }
        case 'docs': {
          const out = flags.get('--out');
          const r = await s.exportDocs(id!, out ? resolve(io.cwd, out) : undefined);
          io.stdout.write(`${r.files.join('\n')}\n`);
          return 0;
        }
        case 'destroy': {
          const exportTo = flags.has('--export') ? resolve(io.cwd, flags.get('--export')!) : null;
          const r = await s.destroy(id!, { exportTo, onEvent });
          if (r.evidence)
            io.stdout.write(`Evidence: ${r.evidence.files.length} file(s) in ${r.evidence.folder}\n`);
          io.stdout.write(`Destroyed: ${r.removed.length} resource(s) removed.\n`);
          return 0;
        }
        case 'reap': {
          const root = flags.get('--export-dir');
          const out = await s.reap({
            export: !flags.has('--no-export'),
            ...(root ? { exportRoot: resolve(io.cwd, root) } : {}),
          });
          if (flags.has('--json')) writeJson(io, { outcomes: out.map(({ removed: _r, ...o }) => o) });
          else {
            if (!out.length) io.stdout.write('Nothing is past its time.\n');
            for (const o of out) io.stdout.write(`${o.name} (${o.id}): ${o.outcome} — ${o.message}\n`);
          }
          return out.some((o) => o.outcome === 'failed' || o.outcome === 'export-failed') ? 1 : 0;
        }
      }
      return 2;
    } finally {
      await d.close();
    }
  },
};
