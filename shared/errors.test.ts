import { describe, expect, it } from 'vitest';
import { AppError, asError, describeError, messageOf } from './errors';

describe('error text helpers', () => {
  it('messageOf reads an Error message and strings anything else', () => {
    expect(messageOf(new TypeError('bad type'))).toBe('bad type');
    expect(messageOf(new AppError('VQL_ERROR', 'Symbol foo not found'))).toBe('Symbol foo not found');
    expect(messageOf('plain')).toBe('plain');
    expect(messageOf(42)).toBe('42');
    expect(messageOf(undefined)).toBe('undefined');
  });

  it('asError keeps an Error as it is and wraps anything else', () => {
    const e = new RangeError('out');
    expect(asError(e)).toBe(e);
    const wrapped = asError({ toString: () => 'odd value' });
    expect(wrapped).toBeInstanceOf(Error);
    expect(wrapped.message).toBe('odd value');
  });

  it('describeError adds the stable code of an AppError only', () => {
    expect(describeError(new AppError('SERVER_UNREACHABLE', 'No answer from lab.'))).toBe(
      'No answer from lab. (SERVER_UNREACHABLE)',
    );
    expect(describeError(new Error('boom'))).toBe('boom');
    expect(describeError('text')).toBe('text');
  });
});
