import { Checkbox, NumberInput, Select, Stack, Text, Textarea, TextInput } from '@mantine/core';
import type { Field } from './param-form';
import { validate } from './param-form';

/** Renders the fields param-form.ts generated; values stay in the field's own representation. */
export function ParamForm(props: {
  fields: Field[];
  values: Record<string, string | boolean>;
  onChange(name: string, v: string | boolean): void;
}) {
  if (props.fields.length === 0)
    return (
      <Text c="dimmed" size="sm">
        This artifact takes no parameters.
      </Text>
    );
  return (
    <Stack gap="xs">
      {props.fields.map((f) => {
        const v = props.values[f.name] ?? f.initial;
        const error = validate(f, v) ?? undefined;
        const common = {
          label: f.name,
          description: [f.description, f.hint].filter(Boolean).join(' '),
          error,
        };
        switch (f.kind) {
          case 'bool':
            return (
              <Checkbox
                key={f.name}
                label={f.name}
                description={f.description}
                checked={v === true}
                onChange={(e) => props.onChange(f.name, e.currentTarget.checked)}
              />
            );
          case 'select':
            return (
              <Select
                key={f.name}
                {...common}
                data={f.choices}
                value={String(v)}
                onChange={(x) => props.onChange(f.name, x ?? '')}
              />
            );
          case 'int':
          case 'float':
            return (
              <NumberInput
                key={f.name}
                {...common}
                allowDecimal={f.kind === 'float'}
                value={String(v)}
                onChange={(x) => props.onChange(f.name, String(x))}
              />
            );
          case 'csv':
          case 'multiline':
            return (
              <Textarea
                key={f.name}
                {...common}
                label={f.kind === 'csv' ? `${f.name} (${f.csvColumns.join(', ')})` : f.name}
                autosize
                minRows={2}
                maxRows={10}
                styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
                value={String(v)}
                onChange={(e) => props.onChange(f.name, e.currentTarget.value)}
              />
            );
          default:
            return (
              <TextInput
                key={f.name}
                {...common}
                placeholder={f.kind === 'timestamp' ? '2026-08-21T13:00:00Z' : undefined}
                value={String(v)}
                onChange={(e) => props.onChange(f.name, e.currentTarget.value)}
              />
            );
        }
      })}
    </Stack>
  );
}
