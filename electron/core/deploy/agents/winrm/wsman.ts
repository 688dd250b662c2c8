/**
 * WS-Management messages of the Windows Remote Shell (MS-WSMV, as WinRM speaks them): create a cmd
 * shell, run a command, receive its output until CommandState Done, signal terminate, delete the
 * shell. Envelopes are built here with every user value escaped; answers are read with the strict XML
 * reader, checked to relate to the request (RelatesTo = MessageID), and faults become WINRM_FAULT
 * with the WSManFault code and message.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../../../../shared/errors';
import { escapeXml, find, findAll, parseXml, type XmlElement } from '../xml';

export const NS = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  a: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  w: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
  p: 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd',
  rsp: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell',
  f: 'http://schemas.microsoft.com/wbem/wsman/1/wsmanfault',
} as const;

export const ACTION = {
  create: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Create',
  delete: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete',
  command: `${NS.rsp}/Command`,
  receive: `${NS.rsp}/Receive`,
  signal: `${NS.rsp}/Signal`,
} as const;

export const CMD_SHELL = `${NS.rsp}/cmd`;
export const COMMAND_DONE = `${NS.rsp}/CommandState/Done`;
export const SIGNAL_TERMINATE = `${NS.rsp}/signal/terminate`;

export interface EnvelopeInput {
  to: string;
  action: string;
  shellId?: string;
  options?: Record<string, string>;
  body: string;
  /** Seconds the host may take before answering (Receive waits this long for output). */
  timeoutS?: number;
  messageId?: string;
}

export function envelope(i: EnvelopeInput): { xml: string; messageId: string } {
  const messageId = i.messageId ?? `uuid:${randomUUID().toUpperCase()}`;
  const options = Object.entries(i.options ?? {});
  const xml = [
    `<s:Envelope xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:w="${NS.w}" xmlns:p="${NS.p}" xmlns:rsp="${NS.rsp}">`,
    '<s:Header>',
    `<a:To>${escapeXml(i.to)}</a:To>`,
    '<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>',
    '<w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize>',
    `<a:MessageID>${messageId}</a:MessageID>`,
    '<w:Locale xml:lang="en-US" s:mustUnderstand="false"/>',
    '<p:DataLocale xml:lang="en-US" s:mustUnderstand="false"/>',
    `<w:OperationTimeout>PT${i.timeoutS ?? 60}S</w:OperationTimeout>`,
    `<w:ResourceURI s:mustUnderstand="true">${CMD_SHELL}</w:ResourceURI>`,
    `<a:Action s:mustUnderstand="true">${escapeXml(i.action)}</a:Action>`,
    ...(i.shellId
      ? [`<w:SelectorSet><w:Selector Name="ShellId">${escapeXml(i.shellId)}</w:Selector></w:SelectorSet>`]
      : []),
    ...(options.length
      ? [
          `<w:OptionSet>${options.map(([k, v]) => `<w:Option Name="${escapeXml(k)}">${escapeXml(v)}</w:Option>`).join('')}</w:OptionSet>`,
        ]
      : []),
    '</s:Header>',
    `<s:Body>${i.body}</s:Body>`,
    '</s:Envelope>',
  ].join('');
  return { xml, messageId };
}

export const createShellBody =
  '<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>';

export function commandBody(command: string, args: readonly string[]): string {
  return `<rsp:CommandLine><rsp:Command>${escapeXml(command)}</rsp:Command>${args.map((a) => `<rsp:Arguments>${escapeXml(a)}</rsp:Arguments>`).join('')}</rsp:CommandLine>`;
}

export function receiveBody(commandId: string): string {
  return `<rsp:Receive><rsp:DesiredStream CommandId="${escapeXml(commandId)}">stdout stderr</rsp:DesiredStream></rsp:Receive>`;
}

export function signalBody(commandId: string): string {
  return `<rsp:Signal CommandId="${escapeXml(commandId)}"><rsp:Code>${SIGNAL_TERMINATE}</rsp:Code></rsp:Signal>`;
}

/** Parses an answer: a fault → WINRM_FAULT; RelatesTo must name our MessageID. */
export function readAnswer(text: string, messageId: string): XmlElement {
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (e) {
    throw new AppError('WINRM_FAULT', 'The host answered with something that is not WS-Management XML.', {
      cause: e,
    });
  }
  const fault = find(root, 'Fault', NS.s);
  if (fault) {
    const wsman = find(fault, 'WSManFault', NS.f);
    const message =
      (wsman && find(wsman, 'Message', NS.f)?.text.trim()) || find(fault, 'Text', NS.s)?.text.trim() || '';
    const code = wsman?.attrs.Code ?? '';
    const subcode = find(find(fault, 'Subcode', NS.s) ?? fault, 'Value', NS.s)?.text.trim() ?? '';
    throw new AppError(
      'WINRM_FAULT',
      `The host refused the request${code ? ` (WS-Management fault ${code}${subcode ? `, ${subcode}` : ''})` : ''}: ${message || 'no reason given'}`,
      { details: { code, subcode } },
    );
  }
  const relates = find(root, 'RelatesTo', NS.a)?.text.trim();
  if (relates !== messageId)
    throw new AppError(
      'WINRM_FAULT',
      'The host answered a different request than the one sent (RelatesTo).',
      {
        details: { expected: messageId, got: relates ?? null },
      },
    );
  return root;
}

export function shellIdOf(root: XmlElement): string {
  const id =
    findAll(root, 'Selector', NS.w)
      .find((s) => s.attrs.Name === 'ShellId')
      ?.text.trim() ?? find(root, 'ShellId', NS.rsp)?.text.trim();
  if (!id) throw new AppError('WINRM_FAULT', 'The host created a shell but named no ShellId.');
  return id;
}

export function commandIdOf(root: XmlElement): string {
  const id = find(root, 'CommandId', NS.rsp)?.text.trim();
  if (!id) throw new AppError('WINRM_FAULT', 'The host started a command but named no CommandId.');
  return id;
}

export interface Received {
  stdout: Buffer;
  stderr: Buffer;
  done: boolean;
  exitCode: number | null;
}

export function receivedOf(root: XmlElement, commandId: string): Received {
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  for (const s of findAll(root, 'Stream', NS.rsp)) {
    if (s.attrs.CommandId && s.attrs.CommandId !== commandId) continue;
    const name = s.attrs.Name;
    if ((name === 'stdout' || name === 'stderr') && s.text.trim())
      chunks[name].push(Buffer.from(s.text.trim(), 'base64'));
  }
  const state = find(root, 'CommandState', NS.rsp);
  const done = state?.attrs.State === COMMAND_DONE;
  const exit = state ? find(state, 'ExitCode', NS.rsp)?.text.trim() : undefined;
  return {
    stdout: Buffer.concat(chunks.stdout),
    stderr: Buffer.concat(chunks.stderr),
    done,
    exitCode: done && exit !== undefined && /^-?\d+$/.test(exit) ? Number(exit) : null,
  };
}
