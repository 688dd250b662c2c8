import { SegmentedControl, Tooltip } from '@mantine/core';
import { formatTime, setTimeZone, useTimeZone } from './time';

export function TimeText(props: { ms: number }) {
  const z = useTimeZone();
  return <span style={{ whiteSpace: 'nowrap' }}>{formatTime(props.ms, z)}</span>;
}

export function TimeZoneToggle() {
  const z = useTimeZone();
  return (
    <Tooltip label="Times are shown in UTC by default">
      <SegmentedControl
        size="xs"
        data-testid="timezone-toggle"
        value={z}
        onChange={(v) => setTimeZone(v === 'local' ? 'local' : 'utc')}
        data={[
          { value: 'utc', label: 'UTC' },
          { value: 'local', label: 'Local' },
        ]}
      />
    </Tooltip>
  );
}
