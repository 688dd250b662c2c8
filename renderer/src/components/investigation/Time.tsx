import { SegmentedControl, Tooltip } from '@mantine/core';
import { formatTime, setTimeZone, useTimeZone } from './time';

/** A moment, written by the one time rule (date, 24-hour time, zone) in the zone the responder chose. */
export function TimeText(props: { ms: number; millis?: boolean }) {
  const z = useTimeZone();
  return <span style={{ whiteSpace: 'nowrap' }}>{formatTime(props.ms, z, props.millis)}</span>;
}

export function TimeZoneToggle() {
  const z = useTimeZone();
  return (
    <Tooltip label="Every time in the app, data included, in UTC (the default) or this computer's local time">
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
