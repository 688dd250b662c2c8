/**
 * The areas of the app: one entry each, in navigation order. A new area adds its page under
 * renderer/src/pages/<area>/ and one entry here; the shell, navigation and tests pick it up.
 */
import {
  IconDeviceDesktop,
  IconDevices,
  IconKey,
  IconNotebook,
  IconPlugConnected,
  IconRobot,
  IconServer2,
  IconSettings,
  IconTarget,
  type Icon,
} from '@tabler/icons-react';
import type { ComponentType } from 'react';
import { AgentsPage } from '../pages/agents/AgentsPage';
import { AssistantsPage } from '../pages/assistants/AssistantsPage';
import { ClientsPage } from '../pages/clients/ClientsPage';
import { ConnectionsPage } from '../pages/connections/ConnectionsPage';
import { CredentialsPage } from '../pages/credentials/CredentialsPage';
import { DeploymentsPage } from '../pages/deployments/DeploymentsPage';
import { HuntsPage } from '../pages/hunts/HuntsPage';
import { NotebooksPage } from '../pages/notebooks/NotebooksPage';
import { SettingsPage } from '../pages/settings/SettingsPage';

export interface AppRoute {
  /** One path segment; also the area's test id (`nav-<id>`, `page-<id>`). */
  id: string;
  path: `/${string}`;
  label: string;
  icon: Icon;
  page: ComponentType;
}

export const routes: readonly AppRoute[] = [
  {
    id: 'connections',
    path: '/connections',
    label: 'Connections',
    icon: IconPlugConnected,
    page: ConnectionsPage,
  },
  { id: 'clients', path: '/clients', label: 'Clients', icon: IconDeviceDesktop, page: ClientsPage },
  { id: 'notebooks', path: '/notebooks', label: 'Notebooks', icon: IconNotebook, page: NotebooksPage },
  { id: 'hunts', path: '/hunts', label: 'Hunts', icon: IconTarget, page: HuntsPage },
  { id: 'deployments', path: '/deployments', label: 'Deployments', icon: IconServer2, page: DeploymentsPage },
  { id: 'agents', path: '/agents', label: 'Agents', icon: IconDevices, page: AgentsPage },
  { id: 'credentials', path: '/credentials', label: 'Credentials', icon: IconKey, page: CredentialsPage },
  { id: 'assistants', path: '/assistants', label: 'Assistants (MCP)', icon: IconRobot, page: AssistantsPage },
  { id: 'settings', path: '/settings', label: 'Settings', icon: IconSettings, page: SettingsPage },
];

export function routeFor(path: string): AppRoute | undefined {
  return routes.find((r) => r.path === path || path.startsWith(r.path + '/'));
}
