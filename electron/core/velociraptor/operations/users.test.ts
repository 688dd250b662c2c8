import { describe, expect, it } from 'vitest';
import {
  DEFAULT_API_ROLES,
  revokeRolesQuery,
  serverAdmin,
  shellLine,
  userAddCommand,
  userCreateQuery,
  validateRoles,
} from './users';

describe('API identities', () => {
  it('plans the deploy-time user add with least privilege by default', () => {
    const argv = userAddCommand('/etc/velociraptor/server.config.yaml', 'mcp-bot', DEFAULT_API_ROLES, {
      password: 'x9 random; not kept',
    });
    expect(argv).toEqual([
      'velociraptor',
      '--config',
      '/etc/velociraptor/server.config.yaml',
      'user',
      'add',
      'mcp-bot',
      'x9 random; not kept',
      '--role',
      'api,investigator',
    ]);
    expect(shellLine(argv)).toBe(
      "velociraptor --config /etc/velociraptor/server.config.yaml user add mcp-bot 'x9 random; not kept' --role api,investigator",
    );
    expect(() => userAddCommand('c', 'bot', ['api'], { password: 'short' })).toThrow(/too short/);
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
    expect(Object.values(r.env)).toEqual(['mcp-bot']);
    // An explicit empty policy: roles=[] alone does nothing on the server (issue 12 item 10).
    expect(r.vql).toMatch(
      /^SELECT user_grant\(user=\w+, policy=dict\(roles=\[\]\)\) AS User FROM scope\(\)$/,
    );
    expect(() => userCreateQuery('VelociraptorServer', ['api'])).toThrow();
  });

  it('serverAdmin: checks roles before the server, creates with the granted roles, revokes all of them', async () => {
    const ran: Array<{ vql: string; env: string[] }> = [];
    const admin = serverAdmin((q) => {
      ran.push({ vql: q.vql, env: Object.values(q.env).map(String) });
      return Promise.resolve();
    });
    await expect(admin.createUser('bot', ['administrator'], { allowAdministrator: false })).rejects.toThrow(
      /explicitly/,
    );
    expect(ran).toEqual([]);
    expect(
      await admin.createUser('bot-2', ['api', 'api', 'investigator'], { allowAdministrator: false }),
    ).toEqual(['api', 'investigator']);
    await admin.revokeRoles('bot');
    expect(ran.map((r) => r.vql.match(/user_\w+/)?.[0])).toEqual(['user_create', 'user_grant']);
    expect(ran[0]!.env).toEqual(['bot-2', JSON.stringify(['api', 'investigator'])]);
    expect(ran[1]!.env).toEqual(['bot']);
  });
});
