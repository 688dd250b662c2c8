/**
 * The audit log is written in the background (a tool's answer does not wait for the disk) yet stays
 * ordered and loses nothing: on a crash-free shutdown every line is on disk in call order, and a
 * failed write is retried with the later lines while results are withheld (fail closed).
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AuditLog, type AuditEntry } from './audit';
import { Redactor } from './redact';
import { runStdio } from './stdio';
import { makeHarness, noConnections } from './testing/harness';
import { listConnections } from './tools/server';

function entry(i: number): AuditEntry {
  return {
    time: new Date(0).toISOString(),
    client: 'test',
    kind: 'tool',
    name: `call-${i}`,
    arguments: { i },
    approval: 'not-required',
    durationMs: 0,
    resultBytes: 0,
  };
}

function names(path: string): string[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as AuditEntry).name);
}

describe('AuditLog queue', () => {
  it('writes lines in call order without the caller waiting, and flush() has them all on disk', async () => {
    const log = new AuditLog(mkdtempSync(join(tmpdir(), 'mr-audit-')), new Redactor());
    const written = Array.from({ length: 500 }, (_, i) => log.append(entry(i)));
    await log.flush();
    expect(names(log.path)).toEqual(Array.from({ length: 500 }, (_, i) => `call-${i}`));
    await Promise.all(written); // every append's promise settles as written
  });

  it('validates and redacts at append time: an invalid entry throws at once', () => {
    const r = new Redactor();
    r.addSecret('SECRET-123456');
    const log = new AuditLog(mkdtempSync(join(tmpdir(), 'mr-audit-')), r);
    expect(() => log.append({ ...entry(0), kind: 'nope' } as unknown as AuditEntry)).toThrow();
    return log.append({ ...entry(1), arguments: { x: 'SECRET-123456' } }).then(() => {
      expect(readFileSync(log.path, 'utf8')).not.toContain('SECRET-123456');
    });
  });

  it('keeps failed lines and retries them first: nothing lost, order kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-audit-'));
    const log = new AuditLog(dir, new Redactor());
    mkdirSync(log.path); // the log path is a directory: every write fails (EISDIR), even as root
    await expect(log.append(entry(0))).rejects.toThrow();
    expect(log.failing).toBe(true);
    await expect(log.append(entry(1))).rejects.toThrow();
    await expect(log.flush()).rejects.toThrow();
    rmdirSync(log.path);
    await log.append(entry(2));
    expect(log.failing).toBe(false);
    expect(names(log.path)).toEqual(['call-0', 'call-1', 'call-2']);
  });
});

describe('tool calls and the audit log', () => {
  it('answers, then withholds results while the log cannot be written, and writes every entry in order once it can', async () => {
    const h = makeHarness(noConnections());
    const call = async () => await listConnections.invoke({}, h.ctx);
    expect((await call()).isError).toBeFalsy();
    await h.audit.flush();
    await new Promise((r) => setTimeout(r, 1200)); // idle: the log closes its file
    // Swap the file for a directory: the next open fails.
    renameSync(h.audit.path, h.audit.path + '.saved');
    mkdirSync(h.audit.path);
    const second = await call(); // released before its write fails (the log is not known to fail yet)
    expect(second.isError).toBeFalsy();
    await expect(h.audit.flush()).rejects.toThrow();
    const third = await call(); // the log is failing: this call waits for its line, which fails too
    expect(third.isError).toBe(true);
    expect(JSON.stringify(third.content)).toContain('the result is withheld');
    rmdirSync(h.audit.path);
    renameSync(h.audit.path + '.saved', h.audit.path);
    expect((await call()).isError).toBeFalsy();
    await h.audit.flush();
    expect(names(h.audit.path)).toEqual([
      'list_connections',
      'list_connections',
      'list_connections',
      'list_connections',
    ]);
  });

  it('stdio: on a clean shutdown (client closes stdin) every call is in the log, in order', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mr-audit-stdio-'));
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const done = runStdio({ dataDir, version: 'test', servers: noConnections(), secrets: [], stdin, stdout });
    const order: number[] = [];
    let buf = '';
    stdout.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const msg = JSON.parse(buf.slice(0, nl)) as { id?: number };
        buf = buf.slice(nl + 1);
        if (typeof msg.id === 'number') order.push(msg.id);
      }
    });
    const send = (m: object) => stdin.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\n');
    const until = async (n: number) => {
      for (let i = 0; i < 1000 && order.length < n; i++) await new Promise((r) => setTimeout(r, 5));
      expect(order.length).toBe(n);
    };
    send({
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'audit-test', version: '1' },
      },
    });
    await until(1);
    send({ method: 'notifications/initialized' });
    // Pipelined calls: many audit lines are still queued or being written when the last answer arrives.
    for (let i = 1; i <= 200; i++)
      send({
        id: i,
        method: 'tools/call',
        params: { name: 'search_clients', arguments: { search: `q${i}` } },
      });
    await until(201);
    stdin.end();
    await done;
    // No flush here: runStdio's own shutdown must have written everything, in the order answered.
    const lines = readFileSync(join(dataDir, 'mcp-audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);
    expect(lines.map((e) => e.arguments.search)).toEqual(order.slice(1).map((id) => `q${id}`));
  }, 30_000);
});
