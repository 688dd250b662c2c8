import { Badge, Card, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useAppInfo } from '../../app/app-info-context';

/** Settings, starting with "About": what the core reports through `app:info`. */
export function SettingsPage() {
  const info = useAppInfo();
  return (
    <Stack>
      <Title order={2}>Settings</Title>
      <Card withBorder padding="lg" data-testid="about">
        <Title order={3} mb="sm">
          About
        </Title>
        {info ? (
          <Table variant="vertical" withTableBorder={false}>
            <Table.Tbody>
              <Table.Tr>
                <Table.Th w={180}>Version</Table.Th>
                <Table.Td data-testid="about-version">{info.version}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Running as</Table.Th>
                <Table.Td data-testid="about-mode">
                  {info.mode === 'electron' ? 'Desktop app' : 'Browser mode'}
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Platform</Table.Th>
                <Table.Td data-testid="about-platform">
                  {info.platform} {info.arch} · Node {info.nodeVersion}
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Data folder</Table.Th>
                <Table.Td>
                  <Code data-testid="about-data-dir">{info.dataDir}</Code>
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>OS keychain</Table.Th>
                <Table.Td>
                  <Group gap="xs">
                    <Badge color={info.keychain.available ? 'teal' : 'orange'} data-testid="about-keychain">
                      {info.keychain.available ? 'available' : 'unavailable'}
                    </Badge>
                    <Text size="sm" data-testid="about-keychain-backend">
                      {info.keychain.backend}
                    </Text>
                  </Group>
                  {info.keychain.detail ? (
                    <Text size="sm" c="dimmed" mt={4} data-testid="about-keychain-detail">
                      {info.keychain.detail}
                    </Text>
                  ) : null}
                </Table.Td>
              </Table.Tr>
            </Table.Tbody>
          </Table>
        ) : (
          <Text c="dimmed">The app core has not answered yet.</Text>
        )}
      </Card>
    </Stack>
  );
}
