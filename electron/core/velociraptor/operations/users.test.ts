import { describe, expect, it } from 'vitest';
import {
  DEFAULT_API_ROLES,
  revokeRolesQuery,
  shellLine,
  userAddCommand,
  userCreateQuery,
  validateRoles,
} from './users';

describe('API identities', () => {
  it('plans the deploy-time user add with least privilege by default', () => {
    const argv = userAddCommand('/etc/velociraptor/server.config.yaml', 'mcp-bot', DEFAULT_API_ROLES);
    expect(argv).toEqual([
      'velociraptor',
      '--config',
      '/etc/velociraptor/server.config.yaml',
      'user',
      'add',
      'mcp-bot',
      '--role',
      'api,investigator',
    ]);
    expect(shellLine(argv)).toBe(
      'velociraptor --config /etc/velociraptor/server.config.yaml user add mcp-bot --role api,investigator',
    );
  });

  it('grants administrator only when asked', () => {
    expect(() => validateRoles(['administrator'])).toThrow(/explicitly/);
    expect(validateRoles(['administrator'], { allowAdministrator: true })).toEqual(['administrator']);
    expect(() => validateRoles(['reader'])).toThrow(/query permission/);
    expect(() => validateRoles(['api', 'root'])).toThrow(/not a Velociraptor role/);
  });

  it('builds runtime VQL with the name and roles in env only', () => {
    const q = userCreateQuery('o.brien#1+ir', ['api', 'investigator']);
    expect(q.vql).not.toContain('brien');
    expect(Object.values(q.env)).toContain('o.brien#1+ir');
    expect(() => userCreateQuery("o'brien", ['api'])).toThrow(/not a valid Velociraptor user name/);
    expect(q.vql).toMatch(
      /^SELECT user_create\(user=\w+, roles=parse_json_array\(data=\w+\)\) AS User FROM scope\(\)$/,
    );
    const r = revokeRolesQuery('mcp-bot');
    expect(Object.values(r.env)).toContain(JSON.stringify([]));
    expect(() => userCreateQuery('VelociraptorServer', ['api'])).toThrow();
  });
});
