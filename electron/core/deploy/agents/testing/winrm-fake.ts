/**
 * TEST DOUBLE of a Windows WinRM listener — no Windows runs here. A local HTTPS endpoint (certificate
 * from a test CA) speaking the parts of WS-Management a remote shell uses: Create (cmd shell),
 * Command, Receive, Signal, Delete, with SOAP faults for unknown shells; logins with NTLMv2 (connection
 * based, as HTTP.sys does it: NEGOTIATE → CHALLENGE → AUTHENTICATE on one connection, the NTLMv2
 * response verified against the account's password, the channel binding checked when required) and
 * Basic. Commands are not executed: each is recorded and answered by the test's handler.
 *
 * With `scheme: 'http'` it is the default 5985 listener instead: plain HTTP, NTLM only, and every
 * envelope after the login must arrive sealed (MS-NLMP session security in WinRM's multipart/encrypted
 * body, MS-WSMV 2.2.9.1.1) and is answered sealed; a request that is not sealed, or whose signature
 * does not match, gets HTTP 400 and the connection is closed (the double's choice; recorded in
 * `sealErrors`). `tamperAnswers` flips a byte in that many of the next sealed answers, for tests.
 *
 * It is checked first against pywinrm (a client nobody here wrote; winrm-fake.int.test.ts) so it
 * speaks the real protocol; then the product's client is tested against it. What it does not do:
 * Kerberos, MIC checks, CredSSP, PowerShell remoting, chunked multipart/x-multi-encrypted bodies.
 */
import { createHmac, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer, type Server as HttpsServer } from 'node:https';
import { createCertificateAuthority, issueCertificate } from '../../../pki/certificates';
import {
  AV,
  challengeMessage,
  channelBindingHash,
  fileTime,
  ntowfv2,
  parseAuthenticate,
  parseAvPairs,
  SEALING_FLAGS,
  sessionBaseKey,
} from '../winrm/ntlm';
import { decryptBody, ENCRYPTED_CONTENT_TYPE, encryptBody, isEncrypted } from '../winrm/http-encryption';
import { NtlmSession } from '../winrm/ntlm-session';
import { rc4 } from '../winrm/rc4';
import { ACTION, COMMAND_DONE, NS } from '../winrm/wsman';
import { child, escapeXml, find, findAll, parseXml } from '../xml';

export interface FakeAccount {
  user: string;
  password: string;
  /** '' for a local account. */
  domain?: string;
}

export interface AuthAttempt {
  method: 'ntlm' | 'basic';
  user: string;
  domain: string;
  ok: boolean;
  channelBinding: 'match' | 'mismatch' | 'missing' | 'n/a';
}

export interface RecordedCommand {
  shellId: string;
  command: string;
  /** The Arguments elements as sent (pywinrm sends one, joined; the product one per argument). */
  args: string[];
  /** The command line cmd.exe runs: the command and the arguments joined by spaces. */
  line: string;
  user: string;
}

export type CommandOutput = { stdout?: string; stderr?: string; exitCode?: number };
export type CommandHandler = (c: RecordedCommand) => CommandOutput | Promise<CommandOutput>;

export interface WinRmFakeOptions {
  accounts: FakeAccount[];
  methods?: Array<'ntlm' | 'basic'>;
  /** Extended Protection: NTLM logins without the right channel binding are refused. */
  requireChannelBinding?: boolean;
  onCommand?: CommandHandler;
  /** The NetBIOS name the host gives in its CHALLENGE. */
  computerName?: string;
  /** 'http': the plain HTTP listener, NTLM with every envelope sealed (default 'https'). */
  scheme?: 'https' | 'http';
  /** Listen on this port (a listener whose certificate was replaced); default any free port. */
  port?: number;
}

export interface WinRmFake {
  url: string;
  port: number;
  caPem: string;
  certificateDer: Buffer;
  fingerprint256: string;
  auths: AuthAttempt[];
  commands: RecordedCommand[];
  /** Every WS-Management action received, in order. */
  actions: string[];
  shells: Set<string>;
  /** HTTP only: the request bodies as they crossed the wire. */
  wire: Buffer[];
  /** HTTP only: why sealed (or unsealed) requests were refused. */
  sealErrors: string[];
  /** HTTP only: flip a byte in this many of the next sealed answers. */
  tamperAnswers: number;
  close(): Promise<void>;
}

interface SocketState {
  challenge?: Buffer;
  requested?: number;
  user?: string;
  session?: NtlmSession;
}

function answer(action: string, relatesTo: string, body: string): string {
  return [
    `<s:Envelope xml:lang="en-US" xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:w="${NS.w}" xmlns:rsp="${NS.rsp}" xmlns:p="${NS.p}">`,
    `<s:Header><a:Action>${action}</a:Action><a:MessageID>uuid:${randomUUID().toUpperCase()}</a:MessageID>`,
    `<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:RelatesTo>${escapeXml(relatesTo)}</a:RelatesTo></s:Header>`,
    `<s:Body>${body}</s:Body></s:Envelope>`,
  ].join('');
}

function fault(relatesTo: string, subcode: string, code: string, message: string): string {
  return answer(
    'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault',
    relatesTo,
    `<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:${subcode}</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="">${escapeXml(message)}</s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="${NS.f}" Code="${code}" Machine="fake"><f:Message>${escapeXml(message)}</f:Message></f:WSManFault></s:Detail></s:Fault>`,
  );
}

/** The HTTPS listener, or the plain HTTP one (same handler, no TLS). */
function serve(
  http: boolean,
  tls: { cert: string; key: string; keepAliveTimeout: number },
  handler: RequestListener,
): HttpServer | HttpsServer {
  return http
    ? createHttpServer({ keepAliveTimeout: tls.keepAliveTimeout }, handler)
    : createServer(tls, handler);
}

export async function startWinRmFake(o: WinRmFakeOptions): Promise<WinRmFake> {
  const ca = await createCertificateAuthority({ organization: 'Megaraptor test WinRM CA' });
  const leaf = await issueCertificate(ca, {
    commonName: 'localhost',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  const cert = new X509Certificate(leaf.certificatePem);
  const http = o.scheme === 'http';
  // Windows refuses Basic on the unencrypted listener (AllowUnencrypted is false by default).
  const methods = o.methods ?? (http ? ['ntlm'] : ['ntlm', 'basic']);
  const computer = o.computerName ?? 'WINFAKE01';
  const auths: AuthAttempt[] = [];
  const commands: RecordedCommand[] = [];
  const actions: string[] = [];
  const shells = new Set<string>();
  const outputs = new Map<string, { stdout: string; stderr: string; exitCode: number }>();
  const sockets = new WeakMap<Socket, SocketState>();
  const stateOf = (s: Socket): SocketState => {
    let st = sockets.get(s);
    if (!st) sockets.set(s, (st = {}));
    return st;
  };

  const offers = [
    ...(methods.includes('ntlm') ? ['Negotiate'] : []),
    ...(methods.includes('basic') ? ['Basic realm="WSMAN"'] : []),
  ];

  /** The user the request is authenticated as, or a 401 already sent (null). */
  function authenticate(
    header: string | undefined,
    st: SocketState,
    send401: (www: string[]) => void,
  ): string | null {
    if (st.user) return st.user;
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
    if (basic && methods.includes('basic')) {
      const [user = '', ...rest] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      const ok = o.accounts.some(
        (a) => !a.domain && a.user.toLowerCase() === user.toLowerCase() && a.password === rest.join(':'),
      );
      auths.push({ method: 'basic', user, domain: '', ok, channelBinding: 'n/a' });
      if (!ok) {
        send401(offers);
        return null;
      }
      return user; // Basic authenticates each request, not the connection
    }
    const ntlm = /^(?:Negotiate|NTLM) ([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
    if (ntlm && methods.includes('ntlm')) {
      const token = Buffer.from(ntlm[1]!, 'base64');
      const type = token.length >= 12 ? token.readUInt32LE(8) : 0;
      if (type === 1) {
        st.challenge = randomBytes(8);
        st.requested = token.length >= 16 ? token.readUInt32LE(12) : 0;
        const msg = challengeMessage(
          st.challenge,
          computer,
          [
            { id: AV.NB_DOMAIN, value: Buffer.from(computer, 'utf16le') },
            { id: AV.NB_COMPUTER, value: Buffer.from(computer, 'utf16le') },
            { id: AV.DNS_DOMAIN, value: Buffer.from(computer.toLowerCase(), 'utf16le') },
            { id: AV.DNS_COMPUTER, value: Buffer.from(computer.toLowerCase(), 'utf16le') },
            { id: AV.TIMESTAMP, value: fileTime(Date.now()) },
          ],
          st.requested,
        );
        send401([`Negotiate ${msg.toString('base64')}`]);
        return null;
      }
      if (type === 3 && st.challenge) {
        const a = parseAuthenticate(token);
        const challenge = st.challenge;
        delete st.challenge;
        const account = o.accounts.find(
          (x) =>
            x.user.toLowerCase() === a.user.toLowerCase() &&
            // A local account: no domain, ".", or the computer's own name.
            (x.domain ?? '').toUpperCase() ===
              (['', '.', computer].includes(a.domain.toUpperCase()) ? '' : a.domain.toUpperCase()),
        );
        let ok = false;
        let channelBinding: AuthAttempt['channelBinding'] = 'missing';
        let session: NtlmSession | undefined;
        if (account && a.ntResponse.length > 48) {
          const proof = a.ntResponse.subarray(0, 16);
          const temp = a.ntResponse.subarray(16);
          // The key uses the domain exactly as the client sent it.
          const responseKey = ntowfv2(account.password, a.user, a.domain);
          const expected = createHmac('md5', responseKey)
            .update(Buffer.concat([challenge, temp]))
            .digest();
          ok = expected.equals(proof);
          if (ok && (a.flags & SEALING_FLAGS) >>> 0 === SEALING_FLAGS && a.encryptedSessionKey.length === 16)
            session = new NtlmSession(
              rc4(sessionBaseKey(responseKey, proof), a.encryptedSessionKey),
              'server',
            );
          const pairs = parseAvPairs(temp.subarray(28));
          const cb = pairs.find((p) => p.id === AV.CHANNEL_BINDINGS)?.value;
          if (cb && !cb.equals(Buffer.alloc(16)))
            channelBinding = cb.equals(channelBindingHash(cert.raw)) ? 'match' : 'mismatch';
        }
        if (ok && o.requireChannelBinding && !http && channelBinding !== 'match') ok = false;
        if (http) channelBinding = 'n/a';
        auths.push({ method: 'ntlm', user: a.user, domain: a.domain, ok, channelBinding });
        if (!ok) {
          send401(offers);
          return null;
        }
        st.user = a.user;
        if (session) st.session = session;
        return a.user;
      }
    }
    send401(offers);
    return null;
  }

  const wire: Buffer[] = [];
  const sealErrors: string[] = [];
  const tamper = { answers: 0 };

  const server = serve(
    http,
    { cert: leaf.certificatePem, key: leaf.privateKeyPem, keepAliveTimeout: 30_000 },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void handle());
      const handle = async (): Promise<void> => {
        const st = stateOf(req.socket);
        let sealedFor: NtlmSession | undefined;
        const send = (status: number, body: string, headers: Record<string, string | string[]> = {}) => {
          let payload: Buffer = Buffer.from(body, 'utf8');
          let type = 'application/soap+xml;charset=UTF-8';
          if (sealedFor) {
            payload = encryptBody(sealedFor, payload);
            type = ENCRYPTED_CONTENT_TYPE;
            if (tamper.answers > 0) {
              tamper.answers--;
              payload[payload.length - 40]! ^= 0x01; // inside the sealed envelope
            }
          }
          res.writeHead(status, {
            'Content-Type': type,
            'Content-Length': payload.length,
            Server: 'Microsoft-HTTPAPI/2.0 (Megaraptor test double)',
            ...headers,
          });
          res.end(payload);
        };
        const refuse = (why: string) => {
          sealErrors.push(why);
          delete st.user;
          delete st.session;
          res.writeHead(400, { 'Content-Length': 0, Connection: 'close' });
          res.end();
        };
        if (req.method !== 'POST' || req.url !== '/wsman') return send(404, '');
        const user = authenticate(req.headers.authorization, st, (www) =>
          send(401, '', { 'WWW-Authenticate': www }),
        );
        if (user === null) return;
        let raw: Buffer = Buffer.concat(chunks);
        if (http) {
          wire.push(raw);
          if (raw.length) {
            if (!st.session || !isEncrypted(req.headers['content-type']))
              return refuse('the request is not sealed (plain HTTP needs NTLM sealing)');
            try {
              raw = decryptBody(st.session, raw);
            } catch (e) {
              return refuse((e as Error).message);
            }
            sealedFor = st.session;
          }
        }
        const text = raw.toString('utf8');
        if (!text) return send(200, ''); // an authenticated empty request (NTLM's first leg)
        let messageId = '';
        try {
          const root = parseXml(text);
          const header = child(root, 'Header', NS.s);
          const body = child(root, 'Body', NS.s);
          if (!header || !body) throw new Error('no SOAP header or body');
          messageId = find(header, 'MessageID', NS.a)?.text.trim() ?? '';
          const action = find(header, 'Action', NS.a)?.text.trim() ?? '';
          actions.push(action);
          const shellId = findAll(header, 'Selector', NS.w)
            .find((s) => s.attrs.Name === 'ShellId')
            ?.text.trim();
          if (action !== ACTION.create && (!shellId || !shells.has(shellId)))
            return send(
              500,
              fault(
                messageId,
                'InvalidSelectors',
                '2150858843',
                'The request for the Windows Remote Shell with ShellId failed because the shell was not found on the server.',
              ),
            );
          switch (action) {
            case ACTION.create: {
              const id = randomUUID().toUpperCase();
              shells.add(id);
              return send(
                200,
                answer(
                  'http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse',
                  messageId,
                  `<x:ResourceCreated><a:Address>https://localhost/wsman</a:Address><a:ReferenceParameters><w:ResourceURI>${NS.rsp}/cmd</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">${id}</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated><rsp:Shell><rsp:ShellId>${id}</rsp:ShellId><rsp:ResourceUri>${NS.rsp}/cmd</rsp:ResourceUri></rsp:Shell>`,
                ),
              );
            }
            case ACTION.command: {
              const line = find(body, 'CommandLine', NS.rsp);
              const command = (line && find(line, 'Command', NS.rsp)?.text) ?? '';
              const args = line ? findAll(line, 'Arguments', NS.rsp).map((a) => a.text) : [];
              const rec: RecordedCommand = {
                shellId: shellId!,
                command,
                args,
                line: [command, ...args].join(' '),
                user,
              };
              commands.push(rec);
              const out = (await o.onCommand?.(rec)) ?? {};
              const id = randomUUID().toUpperCase();
              outputs.set(id, {
                stdout: out.stdout ?? '',
                stderr: out.stderr ?? '',
                exitCode: out.exitCode ?? 0,
              });
              return send(
                200,
                answer(
                  `${ACTION.command}Response`,
                  messageId,
                  `<rsp:CommandResponse><rsp:CommandId>${id}</rsp:CommandId></rsp:CommandResponse>`,
                ),
              );
            }
            case ACTION.receive: {
              const id = find(body, 'DesiredStream', NS.rsp)?.attrs.CommandId ?? '';
              const out = outputs.get(id);
              if (!out)
                return send(
                  500,
                  fault(messageId, 'InvalidSelectors', '2150858843', 'The command was not found.'),
                );
              outputs.delete(id);
              const stream = (name: string, data: string) =>
                `${data ? `<rsp:Stream Name="${name}" CommandId="${id}">${Buffer.from(data).toString('base64')}</rsp:Stream>` : ''}<rsp:Stream Name="${name}" CommandId="${id}" End="true"></rsp:Stream>`;
              return send(
                200,
                answer(
                  `${ACTION.receive}Response`,
                  messageId,
                  `<rsp:ReceiveResponse>${stream('stdout', out.stdout)}${stream('stderr', out.stderr)}<rsp:CommandState CommandId="${id}" State="${COMMAND_DONE}"><rsp:ExitCode>${out.exitCode}</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`,
                ),
              );
            }
            case ACTION.signal:
              return send(200, answer(`${ACTION.signal}Response`, messageId, '<rsp:SignalResponse/>'));
            case ACTION.delete:
              shells.delete(shellId!);
              return send(
                200,
                answer('http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse', messageId, ''),
              );
            default:
              return send(
                500,
                fault(
                  messageId,
                  'ActionNotSupported',
                  '2150858757',
                  `The action ${action} is not supported.`,
                ),
              );
          }
        } catch (e) {
          return send(
            500,
            fault(messageId, 'SchemaValidationError', '2150858817', `The request is not valid: ${String(e)}`),
          );
        }
      };
    },
  );
  await new Promise<void>((r) => server.listen(o.port ?? 0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `${http ? 'http' : 'https'}://127.0.0.1:${port}/wsman`,
    port,
    caPem: ca.certificatePem,
    certificateDer: cert.raw,
    fingerprint256: cert.fingerprint256,
    auths,
    commands,
    actions,
    shells,
    wire,
    sealErrors,
    get tamperAnswers() {
      return tamper.answers;
    },
    set tamperAnswers(n: number) {
      tamper.answers = n;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
