/**
 * The seeded client fleet: Windows, Linux and macOS endpoints with Velociraptor's ApiClient fields
 * (docs/velociraptor/api-service.md#client-records): first_seen_at in SECONDS, last_seen_at in MICROSECONDS.
 */
import { Rng } from './prng';

export type ClientOs = 'windows' | 'linux' | 'darwin';

export interface ClientRecord {
  client_id: string;
  hostname: string;
  fqdn: string;
  os: ClientOs;
  release: string;
  machine: string;
  mac_addresses: string[];
  first_seen_at: number;
  /** Fixed last contact (µs) for offline clients; online clients are "seen" continuously. */
  offline_last_seen_us: number | null;
  last_ip: string;
  labels: string[];
  last_label_timestamp: number;
  last_interrogate_flow_id: string;
  agent_version: string;
  /** Enrolled by the stand-in agent (frontend.ts) rather than seeded. */
  enrolled?: boolean;
}

export const AGENT_VERSION = '0.77.2';

const WINDOWS_RELEASES = [
  'Microsoft Windows 10 Enterprise 22H2 10.0.19045 Build 19045',
  'Microsoft Windows 11 Pro 23H2 10.0.22631 Build 22631',
  'Microsoft Windows Server 2019 Datacenter 1809 10.0.17763 Build 17763',
  'Microsoft Windows Server 2022 Standard 21H2 10.0.20348 Build 20348',
];
const LINUX_RELEASES = ['ubuntu 22.04', 'ubuntu 24.04', 'debian 12.5', 'rhel 9.3', 'amazon 2023'];
const DARWIN_RELEASES = ['14.4.1', '13.6.6', '15.0'];

interface HostPlan {
  os: ClientOs;
  names: string[];
  labels: (name: string, i: number) => string[];
}

const PLAN: HostPlan[] = [
  {
    os: 'windows',
    names: [
      'DC01',
      'DC02',
      'FS01',
      'SQL01',
      'SQL02',
      'EXCH01',
      'WEB-IIS01',
      'RDS01',
      'WKS-FIN-001',
      'WKS-FIN-002',
      'WKS-FIN-003',
      'WKS-HR-001',
      'WKS-HR-002',
      'WKS-ENG-001',
      'WKS-ENG-002',
      'WKS-ENG-003',
      'WKS-ENG-004',
      'WKS-SALES-001',
      'WKS-SALES-002',
      'WKS-EXEC-001',
      'WKS-IT-001',
      'WKS-IT-002',
      'LAPTOP-KIOSK01',
      'WKS-LEGAL-001',
      'WKS-MKT-001',
      'WKS-MKT-002',
      'JUMP01',
      'PRINT01',
    ],
    labels: (name, i) => {
      const l: string[] = [];
      if (/^(DC|FS|SQL|EXCH|WEB|RDS|JUMP|PRINT)/.test(name)) l.push('Servers');
      else l.push('Workstations');
      if (name.startsWith('DC')) l.push('DomainControllers');
      if (name.includes('FIN')) l.push('Finance');
      if (name === 'WKS-FIN-002' || name === 'SQL01' || name === 'JUMP01') l.push('Incident-2024-117');
      if (i % 9 === 4) return [];
      return l;
    },
  },
  {
    os: 'linux',
    names: [
      'web-prod-01',
      'web-prod-02',
      'web-prod-03',
      'api-prod-01',
      'api-prod-02',
      'db-prod-01',
      'db-prod-02',
      'build-01',
      'build-02',
      'k8s-node-01',
      'k8s-node-02',
      'k8s-node-03',
      'bastion-01',
      'mail-relay-01',
      'log-01',
      'dev-box-07',
    ],
    labels: (name, i) => {
      const l = ['Servers', 'Linux'];
      if (name.startsWith('web') || name.startsWith('api')) l.push('DMZ');
      if (name === 'web-prod-02' || name === 'bastion-01') l.push('Incident-2024-117');
      if (i % 7 === 6) return [];
      return l;
    },
  },
  {
    os: 'darwin',
    names: [
      'MBP-ALICE',
      'MBP-BOB',
      'MBP-CAROL',
      'MBP-DAVE',
      'MBA-ERIN',
      'MBP-FRANK',
      'MBP-GRACE',
      'IMAC-STUDIO-01',
      'MBP-HEIDI',
      'MBP-IVAN',
      'MBA-JUDY',
      'MBP-MALLORY',
    ],
    labels: (name, i) => {
      const l = ['Workstations', 'macOS'];
      if (name === 'MBP-MALLORY') l.push('Incident-2024-117');
      if (i % 5 === 3) return [];
      return l;
    },
  },
];

/** 56 clients; about three in four are online. `nowMs` anchors the relative timestamps. */
export function seedClients(nowMs: number, seed = 'megaraptor-sim', domain = 'corp.example'): ClientRecord[] {
  const rng = new Rng(seed);
  const out: ClientRecord[] = [];
  for (const plan of PLAN) {
    plan.names.forEach((name, i) => {
      const online = !rng.chance(0.25);
      const firstSeenDays = rng.int(20, 400);
      const hostname = name;
      const fqdn = plan.os === 'darwin' ? `${name}.local` : `${name.toLowerCase()}.${domain}`;
      const subnet =
        plan.os === 'windows'
          ? name.startsWith('WKS') || name.startsWith('LAPTOP')
            ? 20
            : 10
          : plan.os === 'linux'
            ? 30
            : 40;
      out.push({
        client_id: `C.${rng.hex(16)}`,
        hostname,
        fqdn,
        os: plan.os,
        release: rng.pick(
          plan.os === 'windows'
            ? /^(DC|FS|SQL|EXCH|WEB|RDS|JUMP|PRINT)/.test(name)
              ? WINDOWS_RELEASES.slice(2)
              : WINDOWS_RELEASES.slice(0, 2)
            : plan.os === 'linux'
              ? LINUX_RELEASES
              : DARWIN_RELEASES,
        ),
        machine: plan.os === 'darwin' && rng.chance(0.7) ? 'arm64' : 'x86_64',
        mac_addresses: [
          `${['00:50:56', '3c:22:fb', 'a4:83:e7', '00:15:5d'][rng.int(0, 3)]}:${rng.hex(2)}:${rng.hex(2)}:${rng.hex(2)}`,
        ],
        first_seen_at: Math.floor(nowMs / 1000) - firstSeenDays * 86400 - rng.int(0, 86399),
        offline_last_seen_us: online
          ? null
          : (nowMs - rng.int(2, 240) * 3_600_000 - rng.int(0, 3_599_999)) * 1000,
        last_ip: `10.${subnet}.${rng.int(0, 9)}.${rng.int(2, 250)}`,
        labels: plan.labels(name, i),
        last_label_timestamp: (nowMs - rng.int(1, 30) * 86_400_000) * 1000,
        last_interrogate_flow_id: `F.${rng.base32()}`,
        agent_version: AGENT_VERSION,
      });
    });
  }
  return out;
}
