/**
 * The CloudFormation template of an AWS deployment, a pure function of the plan (the review step shows
 * what it holds; tests assert on it). One stack per deployment holds everything on AWS's side except
 * the config secret (made after the stack, once the VM's address is known, and deleted after verify):
 *
 * - an instance role (CAPABILITY_IAM) allowed to read exactly that one secret, and its profile;
 * - one security group: the frontend port(s) from the agents' ranges, the GUI and API ports (or SSH
 *   only, when the app tunnels) from the responder's ranges; nothing else inbound;
 * - per frontend node: an Elastic IP (agents' address; stable across a stop/start), the EC2 instance
 *   (Amazon Linux 2023; encrypted gp3 root volume deleted with it; IMDSv2 only; instance-initiated
 *   shutdown = terminate, so the on-instance self-destruction timer ends the billing), and the
 *   address association;
 * - multi-frontend (enterprise): an encrypted EFS file system and its mount target (the shared file
 *   store), NFS and the master's API open to the group's own members only.
 *
 * User-data is the boot script (cloud/vm-script.ts): no secret in it. A minion's script gets its own
 * Elastic IP joined in by CloudFormation (its node name).
 */
import { AppError } from '../../../../shared/errors';
import { parseCidr } from '../cloud/cidr';
import type { CloudAccess } from '../cloud/settings';
import { NODE_HOST_TOKEN } from '../cloud/vm-script';
import { FILE_SYSTEM_TOKEN, nodeLogicalId, TAG } from './names';

/** Amazon Linux 2023, x86_64, newest: a public SSM parameter every region has. */
export const AL2023_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
/** A security group's inbound rules, AWS's default quota. */
export const MAX_INGRESS_RULES = 60;
/** CloudFormation takes at most 51,200 bytes of template in the request itself. */
export const TEMPLATE_BODY_LIMIT = 51_200;

export interface AwsNodeSpec {
  role: 'master' | 'minion';
  /** The frontend port of this node. */
  port: number;
  /** The boot script (with NODE_HOST_TOKEN where a minion's address goes). */
  userData: string;
}

export interface AwsTemplateInput {
  deploymentId: string;
  name: string;
  profile: string;
  /** Rapid profile: the instance tag the on-instance timer reads (an extension moves it). */
  destroyAt: string | null;
  instanceType: string;
  diskGiB: number;
  /** An AMI id (ami-…) or an SSM parameter naming one. */
  image: string;
  subnetId: string;
  vpcId: string;
  keyName?: string;
  access: CloudAccess;
  ports: { frontend: number; api: number; gui: number };
  secretName: string;
  nodes: AwsNodeSpec[];
}

type Json = Record<string, unknown>;

function tags(
  input: AwsTemplateInput,
  extra: Record<string, string> = {},
): Array<{ Key: string; Value: string }> {
  return Object.entries({
    [TAG.deployment]: input.deploymentId,
    [TAG.managedBy]: 'megaraptor-desktop',
    ...extra,
  }).map(([Key, Value]) => ({ Key, Value }));
}

function ingress(cidr: string, port: number, description: string): Json {
  const c = parseCidr(cidr);
  return {
    IpProtocol: 'tcp',
    FromPort: port,
    ToPort: port,
    ...(c.version === 4 ? { CidrIp: c.text } : { CidrIpv6: c.text }),
    Description: description,
  };
}

const AGENTS_RULE = 'Velociraptor frontend (agents)';

/** The inbound rules of one frontend port: from the agents' ranges only. */
function frontendRules(agentCidrs: readonly string[], port: number): Json[] {
  return agentCidrs.map((cidr) => ingress(cidr, port, AGENTS_RULE));
}

/** Every inbound rule of the security group: what the review lists and the tests compare. */
export function ingressRules(input: Pick<AwsTemplateInput, 'access' | 'ports' | 'nodes'>): Json[] {
  const rules: Json[] = [];
  const frontendPorts = [...new Set(input.nodes.map((n) => n.port))];
  for (const port of frontendPorts) rules.push(...frontendRules(input.access.agentCidrs, port));
  for (const cidr of input.access.responderCidrs) {
    if (input.access.via.mode === 'direct') {
      rules.push(ingress(cidr, input.ports.gui, 'Velociraptor GUI (responder)'));
      rules.push(ingress(cidr, input.ports.api, 'Velociraptor API (responder)'));
    } else rules.push(ingress(cidr, 22, 'SSH for the app tunnel (responder)'));
  }
  return rules;
}

/**
 * UserData: the script, with what only CloudFormation knows joined in where its token stands (a
 * minion's own Elastic IP, the shared file system's id).
 */
function userData(script: string, tokens: Record<string, Json>): Json {
  const names = Object.keys(tokens).filter((t) => script.includes(t));
  if (!names.length) return { 'Fn::Base64': script };
  const pattern = new RegExp(`(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`);
  const parts: Array<string | Json> = script
    .split(pattern)
    .filter((p) => p !== '')
    .map((p) => (names.includes(p) ? tokens[p]! : p));
  return { 'Fn::Base64': { 'Fn::Join': ['', parts] } };
}

export function awsTemplate(input: AwsTemplateInput): Json {
  const multi = input.nodes.length > 1;
  const ssm = input.image.startsWith('/');
  const resources: Json = {
    InstanceRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: `Velociraptor server of Megaraptor deployment ${input.deploymentId}: reads its config secret`,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        },
        Policies: [
          {
            PolicyName: 'read-server-config',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: 'secretsmanager:GetSecretValue',
                  // The secret is made after the stack; Secrets Manager appends 6 random characters.
                  Resource: {
                    'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${input.secretName}-??????`,
                  },
                },
              ],
            },
          },
        ],
        Tags: tags(input),
      },
    },
    InstanceProfile: { Type: 'AWS::IAM::InstanceProfile', Properties: { Roles: [{ Ref: 'InstanceRole' }] } },
    ServerSecurityGroup: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: `Velociraptor server of Megaraptor deployment ${input.deploymentId}`,
        VpcId: input.vpcId,
        Tags: tags(input, { Name: `megaraptor-${input.deploymentId}` }),
      },
    },
  };
  // One resource per rule (rather than inline): each is its own line in the stack's events.
  const rules = ingressRules(input);
  if (rules.length > MAX_INGRESS_RULES)
    throw new AppError(
      'INVALID_ARGUMENT',
      `The security group would need ${rules.length} inbound rules; AWS allows ${MAX_INGRESS_RULES} by default. Give fewer, wider address ranges.`,
    );
  rules.forEach((rule, i) => {
    resources[`Ingress${i + 1}`] = {
      Type: 'AWS::EC2::SecurityGroupIngress',
      Properties: { GroupId: { 'Fn::GetAtt': ['ServerSecurityGroup', 'GroupId'] }, ...rule },
    };
  });
  if (multi) {
    resources.ClusterApiIngress = {
      Type: 'AWS::EC2::SecurityGroupIngress',
      Properties: {
        GroupId: { 'Fn::GetAtt': ['ServerSecurityGroup', 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': ['ServerSecurityGroup', 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: input.ports.api,
        ToPort: input.ports.api,
        Description: "Minions to the master's API",
      },
    };
    resources.ClusterNfsIngress = {
      Type: 'AWS::EC2::SecurityGroupIngress',
      Properties: {
        GroupId: { 'Fn::GetAtt': ['ServerSecurityGroup', 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': ['ServerSecurityGroup', 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: 2049,
        ToPort: 2049,
        Description: 'Frontends to the shared file store (NFS)',
      },
    };
    resources.SharedFileSystem = {
      Type: 'AWS::EFS::FileSystem',
      Properties: {
        Encrypted: true,
        PerformanceMode: 'generalPurpose',
        FileSystemTags: tags(input, { Name: `megaraptor-${input.deploymentId}` }),
      },
    };
    resources.SharedMountTarget = {
      Type: 'AWS::EFS::MountTarget',
      Properties: {
        FileSystemId: { Ref: 'SharedFileSystem' },
        SubnetId: input.subnetId,
        SecurityGroups: [{ 'Fn::GetAtt': ['ServerSecurityGroup', 'GroupId'] }],
      },
    };
  }
  const outputs: Json = {};
  input.nodes.forEach((node, i) => {
    const id = nodeLogicalId(i);
    resources[`${id}Address`] = {
      Type: 'AWS::EC2::EIP',
      Properties: {
        Domain: 'vpc',
        Tags: tags(input, { Name: `megaraptor-${input.deploymentId}-${id.toLowerCase()}` }),
      },
    };
    resources[id] = {
      Type: 'AWS::EC2::Instance',
      ...(multi ? { DependsOn: ['SharedMountTarget'] } : {}),
      Properties: {
        ImageId: { Ref: 'ImageId' },
        InstanceType: input.instanceType,
        IamInstanceProfile: { Ref: 'InstanceProfile' },
        SubnetId: input.subnetId,
        SecurityGroupIds: [{ 'Fn::GetAtt': ['ServerSecurityGroup', 'GroupId'] }],
        ...(input.keyName ? { KeyName: input.keyName } : {}),
        // The on-instance timer shuts the OS down: that ends the instance and its billing.
        InstanceInitiatedShutdownBehavior: 'terminate',
        MetadataOptions: {
          HttpEndpoint: 'enabled',
          HttpTokens: 'required',
          HttpPutResponseHopLimit: 1,
          // The self-destruction timer reads its (extended) time from the instance's tag.
          InstanceMetadataTags: 'enabled',
        },
        BlockDeviceMappings: [
          {
            DeviceName: '/dev/xvda',
            Ebs: { VolumeSize: input.diskGiB, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
          },
        ],
        UserData: userData(node.userData, {
          [NODE_HOST_TOKEN]: { Ref: `${id}Address` },
          [FILE_SYSTEM_TOKEN]: { Ref: 'SharedFileSystem' },
        }),
        Tags: tags(input, {
          Name: `megaraptor-${input.deploymentId}-${id.toLowerCase()}`,
          [TAG.role]: node.role,
          ...(input.destroyAt ? { [TAG.destroyAt]: input.destroyAt } : {}),
        }),
      },
    };
    resources[`${id}AddressAssociation`] = {
      Type: 'AWS::EC2::EIPAssociation',
      Properties: {
        AllocationId: { 'Fn::GetAtt': [`${id}Address`, 'AllocationId'] },
        InstanceId: { Ref: id },
      },
    };
    outputs[`${id}InstanceId`] = { Value: { Ref: id } };
    outputs[`${id}PublicIp`] = { Value: { Ref: `${id}Address` } };
    outputs[`${id}PrivateIp`] = { Value: { 'Fn::GetAtt': [id, 'PrivateIp'] } };
  });
  if (multi) outputs.SharedFileSystemId = { Value: { Ref: 'SharedFileSystem' } };
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `Megaraptor Desktop: Velociraptor ${multi ? `master and ${input.nodes.length - 1} minion(s)` : 'server'} of deployment ${input.deploymentId} (${input.profile} profile)`,
    Parameters: {
      ImageId: {
        Type: ssm ? 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>' : 'AWS::EC2::Image::Id',
        Default: input.image,
      },
    },
    Resources: resources,
    Outputs: outputs,
  };
}

/** The template as the request body, refused when CloudFormation would refuse its size. */
export function templateBody(template: Json): string {
  const body = JSON.stringify(template);
  if (Buffer.byteLength(body) > TEMPLATE_BODY_LIMIT)
    throw new AppError(
      'INVALID_ARGUMENT',
      `The CloudFormation template would be ${Buffer.byteLength(body)} bytes, over CloudFormation's ${TEMPLATE_BODY_LIMIT}: deploy fewer minions.`,
    );
  return body;
}

/** What the stack holds, counted by type (the plan lists it for the review and the approval). */
export function stackContents(template: Json): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of Object.values(template.Resources as Record<string, { Type: string }>))
    out[r.Type] = (out[r.Type] ?? 0) + 1;
  return out;
}

type Resources = Record<string, { Type: string; Properties?: Json }>;

const NODE_PARTS = '(Address|AddressAssociation|Ingress\\d+|InstanceId|PublicIp|PrivateIp)?';

/**
 * Whether a logical id (a resource's or an output's) belongs to frontend node `index`; `tag` names
 * one scale-out's node (`Minion3a2`), any tag when absent. A deploy's nodes have none.
 */
function ofNode(index: number, tag?: string): (logicalId: string) => boolean {
  const pattern = new RegExp(`^${nodeLogicalId(index)}${tag ?? '(a\\d+)?'}${NODE_PARTS}$`);
  return (logicalId) => pattern.test(logicalId);
}

/** The entries with node `from`'s logical ids (keys, Refs, GetAtts) renamed to `to`. */
function renamed<T>(entries: T, from: string, to: string): T {
  if (from === to) return entries;
  const id = new RegExp(`"${from}(?=${NODE_PARTS.slice(0, -1)}?")`, 'g');
  return JSON.parse(JSON.stringify(entries).replace(id, `"${to}`)) as T;
}

/**
 * Scale-out: the stack's current template with frontend node `index` of `grown` (the template of the
 * settings with that node) added under the logical id `Minion<index><tag>` (a tag per scale-out, so a
 * retried one never names what an earlier attempt removed): its instance, Elastic IP and association
 * exactly as a deploy makes a minion, and, when its port is one no rule opens yet, that port's rules
 * from the agents' ranges. Nothing the stack holds changes, so CloudFormation's update only adds.
 */
export function withNode(
  current: Json,
  grown: Json,
  index: number,
  input: { agentCidrs: readonly string[]; port: number; tag: string },
): Json {
  const plain = nodeLogicalId(index);
  const id = `${plain}${input.tag}`;
  const have = current.Resources as Resources;
  if (Object.keys(have).some(ofNode(index)))
    throw new AppError('CONFLICT', `The stack already has a frontend node ${plain}.`);
  const mine = ofNode(index, '');
  const added = renamed(
    Object.entries(grown.Resources as Resources).filter(
      ([logicalId, r]) => mine(logicalId) && r.Type !== 'AWS::EC2::SecurityGroupIngress',
    ),
    plain,
    id,
  );
  if (!added.some(([logicalId]) => logicalId === id))
    throw new AppError('INTERNAL', `The grown template has no frontend node ${plain}.`);
  const open = Object.values(have).some(
    (r) =>
      r.Type === 'AWS::EC2::SecurityGroupIngress' &&
      r.Properties?.Description === AGENTS_RULE &&
      r.Properties.FromPort === input.port,
  );
  const rules = open ? [] : frontendRules(input.agentCidrs, input.port);
  const groupId = { 'Fn::GetAtt': ['ServerSecurityGroup', 'GroupId'] };
  return {
    ...current,
    Resources: {
      ...have,
      ...Object.fromEntries(added),
      ...Object.fromEntries(
        rules.map((rule, i) => [
          `${id}Ingress${i + 1}`,
          { Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: groupId, ...rule } },
        ]),
      ),
    },
    Outputs: {
      ...(current.Outputs as Json),
      ...renamed(
        Object.fromEntries(Object.entries(grown.Outputs as Json).filter(([k]) => mine(k))),
        plain,
        id,
      ),
    },
  };
}

/** The template without what withNode added for node `index` under `tag`: a failed scale-out's undo. */
export function withoutNode(current: Json, index: number, tag: string): Json {
  const mine = ofNode(index, tag);
  const keep = (o: Json) => Object.fromEntries(Object.entries(o).filter(([k]) => !mine(k)));
  return { ...current, Resources: keep(current.Resources as Json), Outputs: keep(current.Outputs as Json) };
}

/** Whether the template holds frontend node `index` under `tag`. */
export function hasNode(template: Json, index: number, tag: string): boolean {
  return Object.keys(template.Resources as Json).some(ofNode(index, tag));
}
