import {
  ActionIcon,
  AppShell,
  Badge,
  Burger,
  Group,
  NavLink,
  Title,
  Tooltip,
  useComputedColorScheme,
  useMantineColorScheme,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconMoon, IconSun } from '@tabler/icons-react';
import { useEffect } from 'react';
import { ServerSwitcher } from '../components/investigation/ServerSwitcher';
import { TimeZoneToggle } from '../components/investigation/Time';
import { ApprovalDialog } from '../pages/assistants/ApprovalDialog';
import { useAppInfo } from './app-info-context';
import { DeploymentNoticesAlert } from './DeploymentNoticesAlert';
import { useDeploymentNotices } from './deployment-notices';
import { ErrorBoundary } from './ErrorBoundary';
import { navigate, usePath } from './router';
import { routeFor, routes } from './routes';

export function Shell() {
  const [path, go] = usePath();
  const [opened, { toggle, close }] = useDisclosure();
  const { setColorScheme } = useMantineColorScheme();
  const scheme = useComputedColorScheme('light');
  const info = useAppInfo();
  const current = routeFor(path);
  const notices = useDeploymentNotices(path);

  useEffect(() => {
    if (!current) navigate(routes[0]!.path, true);
  }, [current]);

  const Page = current?.page;
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label="Toggle navigation"
            />
            <Title order={4}>Megaraptor Desktop</Title>
            {info ? (
              <Badge variant="light" data-testid="header-mode">
                {info.mode === 'electron' ? 'desktop' : 'browser mode'}
              </Badge>
            ) : null}
          </Group>
          <Group gap="sm" wrap="nowrap">
            {/* One server/org switcher for every page; the investigation pages read the same target store. */}
            <ServerSwitcher />
            <TimeZoneToggle />
            <Tooltip label={scheme === 'dark' ? 'Light theme' : 'Dark theme'}>
              <ActionIcon
                variant="default"
                size="lg"
                aria-label="Toggle color scheme"
                data-testid="theme-toggle"
                onClick={() => setColorScheme(scheme === 'dark' ? 'light' : 'dark')}
              >
                {scheme === 'dark' ? <IconSun size={18} /> : <IconMoon size={18} />}
              </ActionIcon>
            </Tooltip>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Areas">
        {routes.map((r) => (
          <NavLink
            key={r.id}
            href={r.path}
            label={r.label}
            leftSection={<r.icon size={18} stroke={1.6} />}
            active={current?.id === r.id}
            rightSection={
              r.id === 'deployments' && notices.attention.length ? (
                <Tooltip label="Deployments that need you: unfinished, destroying themselves soon, certificates expiring">
                  <Badge
                    size="sm"
                    color={notices.level === 'critical' ? 'red' : 'orange'}
                    data-testid="deployments-attention-badge"
                  >
                    {notices.attention.length}
                  </Badge>
                </Tooltip>
              ) : null
            }
            data-testid={`nav-${r.id}`}
            onClick={(e) => {
              e.preventDefault();
              go(r.path);
              close();
            }}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main data-testid={current ? `page-${current.id}` : undefined}>
        {/* The Deployments page lists these notices in full; every other page points at it. */}
        {current?.id === 'deployments' ? null : <DeploymentNoticesAlert digest={notices} />}
        <ErrorBoundary key={current?.id}>{Page ? <Page /> : null}</ErrorBoundary>
      </AppShell.Main>
      {/* Mounted once here so an assistant's approval request appears on whatever page is open. */}
      <ApprovalDialog />
    </AppShell>
  );
}
