/**
 * The artifact catalogue the simulator knows (0.77 as written here, 0.75 derived from it): real
 * Velociraptor artifact names with typed parameters and named sources. The `query` text is illustrative (the simulator does not run it on endpoints; the
 * rows come from triage-rows.ts).
 */
import type { ReleaseLine } from '../version';

export type ParamType =
  | 'string'
  | 'bool'
  | 'int'
  | 'regex'
  | 'csv'
  | 'choices'
  | 'timestamp'
  | 'upload'
  | 'yaml'
  | 'json'
  | 'json_array'
  | 'yara'
  | 'hidden';

export interface ArtifactParameter {
  name: string;
  type: ParamType;
  default: string;
  description: string;
  choices?: string[];
}

export interface ArtifactDefinition {
  name: string;
  description: string;
  type: 'CLIENT' | 'SERVER' | 'CLIENT_EVENT' | 'SERVER_EVENT' | 'INTERNAL';
  /** Which client OSes it applies to (for precondition-shaped rows); empty = any. */
  os: Array<'windows' | 'linux' | 'darwin'>;
  parameters: ArtifactParameter[];
  /** Source names; '' is the single unnamed source. */
  sources: string[];
  /** Artifacts this one calls (artifact_definitions(deps=TRUE)). */
  deps?: string[];
  /** Artifacts whose exports this one imports. */
  imports?: string[];
  /** The artifact exports VQL for others (its text is illustrative here). */
  exports?: boolean;
  /** Sources that run only on one OS (their precondition). */
  sourceOs?: Record<string, 'windows' | 'linux' | 'darwin'>;
  /** Basic artifacts may be collected with COLLECT_BASIC. */
  basic?: boolean;
  /** Tools it declares (name, download URL, optional expected sha256 and version). */
  tools?: Array<{ name: string; url: string; expected_hash?: string; version?: string }>;
}

const p = (
  name: string,
  type: ParamType,
  def: string,
  description: string,
  choices?: string[],
): ArtifactParameter =>
  choices ? { name, type, default: def, description, choices } : { name, type, default: def, description };

export const ARTIFACTS: ArtifactDefinition[] = [
  {
    name: 'Generic.Client.Info',
    type: 'CLIENT',
    os: [],
    basic: true,
    description:
      'Collect basic information about the client. This artifact is collected when any new client is enrolled.',
    parameters: [],
    sources: ['BasicInformation', 'DetailedInfo', 'LinuxInfo', 'WindowsInfo', 'Users'],
    sourceOs: { LinuxInfo: 'linux', WindowsInfo: 'windows', Users: 'windows' },
    deps: ['Windows.Sys.Users'],
  },
  {
    name: 'Windows.System.Pslist',
    type: 'CLIENT',
    os: ['windows'],
    description: 'List processes and their running binaries.',
    parameters: [
      p('ProcessRegex', 'regex', '.', 'A regex applied to process names.'),
      p('PidRegex', 'regex', '.', 'A regex applied to the pid.'),
      p('UntrustedAuthenticode', 'bool', '', 'Show only binaries that are not signed.'),
    ],
    sources: [''],
  },
  {
    name: 'Linux.Sys.Pslist',
    type: 'CLIENT',
    os: ['linux'],
    description: 'List processes and their running binaries.',
    parameters: [p('processRegex', 'regex', '.', 'A regex applied to process names.')],
    sources: [''],
  },
  {
    name: 'Generic.System.Pstree',
    type: 'CLIENT',
    os: [],
    description: 'Show the process tree with call chains.',
    parameters: [p('ProcessRegex', 'regex', '.', 'A regex applied to process names.')],
    sources: [''],
    deps: ['Generic.System.Pslist'],
  },
  {
    name: 'Generic.System.Pslist',
    type: 'CLIENT',
    os: [],
    description: 'List processes on any OS.',
    parameters: [p('ProcessRegex', 'regex', '.', 'A regex applied to process names.')],
    sources: [''],
  },
  {
    name: 'Windows.Network.Netstat',
    type: 'CLIENT',
    os: ['windows'],
    description: 'Show information about open sockets.',
    parameters: [],
    sources: [''],
  },
  {
    name: 'Linux.Network.Netstat',
    type: 'CLIENT',
    os: ['linux'],
    description: 'Parse /proc to list network connections.',
    parameters: [],
    sources: [''],
  },
  {
    name: 'MacOS.Network.Netstat',
    type: 'CLIENT',
    os: ['darwin'],
    description: 'Report network connections.',
    parameters: [],
    sources: [''],
  },
  {
    name: 'Windows.System.Services',
    type: 'CLIENT',
    os: ['windows'],
    description: 'List services from the registry with their binaries.',
    parameters: [
      p('Calculate_hashes', 'bool', 'N', 'Hash service binaries.'),
      p('CertificateInfo', 'bool', 'N', 'Show authenticode information.'),
    ],
    sources: [''],
  },
  {
    name: 'Linux.Sys.Services',
    type: 'CLIENT',
    os: ['linux'],
    description: 'Parse services from systemd.',
    parameters: [],
    sources: [''],
  },
  {
    name: 'Windows.System.TaskScheduler',
    type: 'CLIENT',
    os: ['windows'],
    description: 'Collect and parse scheduled tasks.',
    parameters: [
      p('TasksPath', 'string', 'c:/Windows/System32/Tasks/**', 'Glob of task files.'),
      p('AlsoUpload', 'bool', '', 'Also upload the task XML files.'),
    ],
    sources: ['Analysis'],
  },
  {
    name: 'Windows.Sys.StartupItems',
    type: 'CLIENT',
    os: ['windows'],
    description: 'Applications that will be started up from the various run key locations.',
    parameters: [],
    sources: [''],
  },
  {
    name: 'MacOS.Detection.Autoruns',
    type: 'CLIENT',
    os: ['darwin'],
    description: 'Launch agents, launch daemons and login items.',
    parameters: [],
    sources: ['Launchd'],
  },
  {
    name: 'Linux.Sys.Crontab',
    type: 'CLIENT',
    os: ['linux'],
    description: 'Displays parsed information from crontab.',
    parameters: [
      p(
        'cronTabGlob',
        'string',
        '/etc/crontab,/etc/cron.d/**,/var/at/tabs/**,/var/spool/cron/**',
        'Cron file globs.',
      ),
    ],
    sources: ['CronTabs'],
  },
  {
    name: 'Windows.Sys.Users',
    type: 'CLIENT',
    os: ['windows'],
    description: 'List user accounts from the SAM and profiles.',
    parameters: [
      p(
        'remoteRegKey',
        'string',
        'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\*',
        '',
      ),
    ],
    sources: [''],
    imports: ['Windows.Sys.AllUsers'],
    deps: ['Windows.Sys.AllUsers'],
  },
  {
    name: 'Windows.Sys.AllUsers',
    type: 'CLIENT',
    os: ['windows'],
    description: 'Every user account: local (SAM), domain and roaming profiles.',
    parameters: [
      p(
        'remoteRegKey',
        'string',
        'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\*',
        '',
      ),
      p('SAMPath', 'string', 'C:/Windows/System32/Config/SAM', ''),
    ],
    sources: [''],
    exports: true,
  },
  {
    name: 'Linux.Sys.Users',
    type: 'CLIENT',
    os: ['linux'],
    description: 'Get user specific information from /etc/passwd.',
    parameters: [],
    sources: [''],
  },
  {
    name: 'MacOS.System.Users',
    type: 'CLIENT',
    os: ['darwin'],
    description: 'Local user accounts from the directory service plists.',
    parameters: [],
    sources: [''],
  },
  {
    name: 'Linux.Sys.BashHistory',
    type: 'CLIENT',
    os: [],
    description:
      'Grep-like search of Bash and alternate shell history files (or other files in the user profile such as *_profile and *rc).',
    parameters: [
      p('TargetGlob', 'string', '/{root,home/*}/.*_history', 'Glob of the files to search.'),
      p('SearchRegex', 'regex', '.', 'Regex of strings to search in line.'),
      p('WhitelistRegex', 'regex', '', 'Regex of strings to leave out of output.'),
    ],
    sources: [''],
  },
  {
    name: 'Linux.Ssh.AuthorizedKeys',
    type: 'CLIENT',
    os: ['linux'],
    description:
      'Finds and parses SSH authorized keys files: options, key type, base64 key and comment of each key line.',
    parameters: [
      p(
        'sshKeyFiles',
        'string',
        '.ssh/authorized_keys*',
        "Glob of authorized_keys file relative to a user's home directory.",
      ),
      p(
        'keyTypes',
        'regex',
        'sk-ecdsa-sha2-nistp256|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|sk-ssh-ed25519|ssh-ed25519|ssh-dss|ssh-rsa',
        'A regex to identify supported key types',
      ),
      p('AlsoUpload', 'bool', '', 'Also upload the raw files for closer inspection.'),
    ],
    sources: [''],
  },
  {
    name: 'MacOS.Applications.MRU',
    type: 'CLIENT',
    os: [],
    description: 'Parse the MRU (Finder recent folders bookmarks) from MacOS users.',
    parameters: [
      p(
        'FinderPlistPath',
        'string',
        '/Users/*/Library/Preferences/com.apple.finder.plist',
        'Glob of the Finder preference plists.',
      ),
    ],
    sources: [''],
  },
  {
    name: 'Linux.Sys.LastUserLogin',
    type: 'CLIENT',
    os: ['linux'],
    description: 'Find and parse system wtmp files.',
    parameters: [p('wtmpGlobs', 'string', '/var/log/wtmp*', 'wtmp globs.')],
    sources: [''],
  },
  {
    name: 'Linux.Syslog.SSHLogin',
    type: 'CLIENT',
    os: ['linux'],
    description: 'Parses the auth logs to identify all SSH login attempts.',
    parameters: [
      p('syslogAuthLogPath', 'string', '/var/log/{auth.log,secure}*', ''),
      p(
        'SSHGrok',
        'string',
        '%{SYSLOGTIMESTAMP:Timestamp} %{DATA:event} %{DATA:method} for %{DATA:user} from %{IPORHOST:ip} port %{NUMBER:port} ssh2',
        'A Grok expression for parsing SSH auth lines.',
      ),
    ],
    sources: [''],
  },
  {
    name: 'Windows.EventLogs.ExplicitLogon',
    type: 'CLIENT',
    os: ['windows'],
    description:
      'Logons with explicit credentials (event 4648), as used by runas and lateral movement tools.',
    parameters: [
      p('EvtxGlob', 'string', '%SystemRoot%\\System32\\Winevt\\Logs\\Security.evtx', ''),
      p('UsernameRegex', 'regex', '.', ''),
      p('UsernameWhitelist', 'regex', '\\\\$$', ''),
      p('ServerRegex', 'regex', '.', ''),
      p('ServerWhitelist', 'regex', '', ''),
      p('ProcessNameRegex', 'regex', '.', ''),
      p('ProcessNameWhitelist', 'regex', '', ''),
      p('VSSAnalysisAge', 'int', '0', ''),
      p('DateAfter', 'timestamp', '', ''),
      p('DateBefore', 'timestamp', '', ''),
    ],
    sources: [''],
  },
  {
    name: 'Windows.EventLogs.ServiceCreationComspec',
    type: 'CLIENT',
    os: ['windows'],
    description: 'Service creation events (7045) whose command line runs COMSPEC, cmd.exe or ADMIN$.',
    parameters: [
      p('EventLog', 'string', 'C:\\Windows\\system32\\winevt\\logs\\System.evtx', ''),
      p('ComspecRegex', 'regex', '(COMSPEC|cmd.exe|ADMIN\\$)', ''),
      p('VSSAnalysisAge', 'int', '0', ''),
    ],
    sources: ['ServiceCreation'],
  },
  {
    name: 'Windows.EventLogs.Cleared',
    type: 'CLIENT',
    os: ['windows'],
    description: 'Event log clearing events (1102, 104).',
    parameters: [
      p('TargetGlob', 'string', 'C:\\Windows\\System32\\Winevt\\Logs\\{System,Security}.evtx', ''),
      p('DateAfter', 'timestamp', '', ''),
      p('DateBefore', 'timestamp', '', ''),
      p('VSSAnalysisAge', 'int', '0', ''),
    ],
    sources: [''],
  },
  {
    name: 'Windows.Forensics.Timeline',
    type: 'CLIENT',
    os: ['windows'],
    description: 'Win10 records recently used applications and files in a timeline database.',
    parameters: [
      p('UserFilter', 'regex', '', ''),
      p('ExecutionTimeAfter', 'timestamp', '', ''),
      p(
        'Win10TimelineGlob',
        'string',
        'C:\\Users\\*\\AppData\\Local\\ConnectedDevicesPlatform\\*\\ActivitiesCache.db',
        '',
      ),
    ],
    sources: [''],
  },
  {
    name: 'Windows.Detection.PsexecService',
    type: 'CLIENT_EVENT',
    os: ['windows'],
    description:
      'Detects PsExec-style service installation (an event artifact: add it to client monitoring).',
    parameters: [p('yaraRule', 'yara', '', '')],
    sources: [''],
  },
  {
    name: 'Windows.Detection.WMIProcessCreation',
    type: 'CLIENT_EVENT',
    os: ['windows'],
    description: 'WMI process creation events (an event artifact: add it to client monitoring).',
    parameters: [],
    sources: [''],
  },
  {
    name: 'Generic.Collectors.File',
    type: 'CLIENT',
    os: [],
    description: 'Collects files using a set of globs. All globs must be on the same device.',
    parameters: [
      p('collectionSpec', 'csv', 'Glob\nUsers\\*\\NTUser.dat\n', 'A CSV file with a Glob column.'),
      p('Root', 'string', 'C:', 'On Windows, this is the device to apply all the glob on.'),
      p('Accessor', 'string', 'auto', ''),
      p('NTFS_CACHE_TIME', 'int', '1000000', ''),
      p('UPLOAD_IS_RESUMABLE', 'bool', 'N', ''),
      p('MaxFileSize', 'int', '', ''),
    ],
    sources: ['All Matches Metadata', 'Uploads'],
  },
  {
    name: 'Windows.EventLogs.RDPAuth',
    type: 'CLIENT',
    os: ['windows'],
    description: 'Logon, logoff and RDP authentication events.',
    parameters: [
      p('DateAfter', 'timestamp', '', 'Only events after this time.'),
      p('SearchVerbose', 'bool', '', 'Include logoff events.'),
    ],
    sources: [''],
  },
  {
    name: 'Windows.Applications.Chrome.History',
    type: 'CLIENT',
    os: ['windows'],
    description: 'Chrome browser history.',
    parameters: [
      p(
        'historyGlobs',
        'string',
        '\\AppData\\Local\\Google\\Chrome\\User Data\\*\\History',
        'History file globs.',
      ),
      p('urlSQLQuery', 'string', 'SELECT * FROM urls', 'SQL query.'),
    ],
    sources: [''],
  },
  {
    name: 'MacOS.Applications.Chrome.History',
    type: 'CLIENT',
    os: ['darwin'],
    description: 'Chrome browser history.',
    parameters: [],
    sources: [''],
  },
  {
    name: 'Windows.Search.FileFinder',
    type: 'CLIENT',
    os: ['windows'],
    description:
      'Searches for files by path glob, inspects file content via YARA, and provides file hash and upload options.',
    parameters: [
      p('Glob', 'string', '', 'Search for this file glob'),
      p(
        'SearchFilesGlobTable',
        'csv',
        'Glob\nC:/Users/SomeUser/*\n',
        'Specify multiple globs to search for.',
      ),
      p('Accessor', 'choices', 'auto', 'The accessor to use', [
        'auto',
        'registry',
        'file',
        'ntfs',
        'ntfs_vss',
      ]),
      p('YaraRule', 'yara', '', 'A yara rule to search for matching files.'),
      p('Upload_File', 'bool', 'N', ''),
      p('Calculate_Hash', 'bool', 'N', ''),
      p('MoreRecentThan', 'timestamp', '', ''),
      p('ModifiedBefore', 'timestamp', '', ''),
      p('VSS_MAX_AGE_DAYS', 'int', '', 'If larger than 0 we restrict VSS age to this many days ago.'),
      p('UPLOAD_IS_RESUMABLE', 'bool', 'N', 'If set, file uploads will be asynchronous and resumable.'),
    ],
    sources: [''],
  },
  {
    name: 'Linux.Search.FileFinder',
    type: 'CLIENT',
    os: ['linux'],
    description: 'Find files on the filesystem using the filename or content.',
    parameters: [
      p('SearchFilesGlob', 'string', '/home/*', 'Use a glob to define the files that will be searched.'),
      p(
        'SearchFilesGlobTable',
        'csv',
        'Glob\n/home/someuser/*\n',
        'Alternative specify multiple globs in a table',
      ),
      p('YaraRule', 'yara', '', 'A yara rule to search for matching files.'),
      p('Upload_File', 'bool', 'N', ''),
      p('Calculate_Hash', 'bool', 'N', ''),
      p('MoreRecentThan', 'timestamp', '', ''),
      p('ModifiedBefore', 'timestamp', '', ''),
      p('ExcludePathRegex', 'regex', '^/(proc|sys|run|snap)', 'Directories not descended into.'),
      p('LocalFilesystemOnly', 'bool', 'Y', 'Stay on local filesystems.'),
      p('OneFilesystem', 'bool', 'N', 'Do not cross to another filesystem.'),
      p('DoNotFollowSymlinks', 'bool', 'N', 'Do not follow symlinks while globbing.'),
      p('ROOT', 'hidden', '', 'The root from which to start searching.'),
      p('ACCESSOR', 'hidden', 'file', ''),
      p('UPLOAD_IS_RESUMABLE', 'bool', 'N', 'If set the uploads can be resumed.'),
    ],
    sources: [''],
  },
  {
    name: 'MacOS.Search.FileFinder',
    type: 'CLIENT',
    os: ['darwin'],
    description: 'Find files on the filesystem using the filename or content.',
    parameters: [
      p('SearchFilesGlob', 'string', '/Users/*', 'Use a glob to define the files that will be searched.'),
      p(
        'SearchFilesGlobTable',
        'csv',
        'Glob\n/Users/someuser/*\n',
        'Alternative specify multiple globs in a table',
      ),
      p('YaraRule', 'yara', '', 'A yara rule to search for matching files.'),
      p('Fetch_Xattr', 'bool', 'N', ''),
      p('Upload_File', 'bool', 'N', ''),
      p('Calculate_Hash', 'bool', 'N', ''),
      p('MoreRecentThan', 'timestamp', '', ''),
      p('ModifiedBefore', 'timestamp', '', ''),
      p('DoNotFollowSymlinks', 'bool', 'Y', ''),
      p('UPLOAD_IS_RESUMABLE', 'bool', 'N', 'If set the uploads can be resumed.'),
    ],
    sources: [''],
  },
  {
    name: 'Generic.Detection.HashHunter',
    type: 'CLIENT',
    os: [],
    description:
      'Search for hashes: hash each file under a glob and compare with MD5, SHA1 and SHA256 lists.',
    parameters: [
      p('TargetGlob', 'string', 'C:/Users/**/*', 'Glob to target.'),
      p(
        'Accessor',
        'string',
        'auto',
        'Velociraptor accessor to use. Changing to ntfs will increase scan time.',
      ),
      p('DateAfter', 'timestamp', '', 'Search for binaries with timestamps after this date.'),
      p('DateBefore', 'timestamp', '', 'Search for binaries with timestamps before this date.'),
      p('SizeMax', 'int', '4294967296', 'Return binaries only under this size in bytes.'),
      p('SizeMin', 'int', '0', 'Return binaries only over this size in bytes.'),
      p('MD5List', 'string', '', 'MD5 hash list to hunt for. New MD5 hash on each line'),
      p('SHA1List', 'string', '', 'SHA1 hash list to hunt for. New SHA1 hash on each line'),
      p('SHA256List', 'string', '', 'SHA256 hash list to hunt for. New SHA256 hash on each line'),
    ],
    sources: [''],
  },
  {
    name: 'Windows.Forensics.RecentApps',
    type: 'CLIENT',
    os: ['windows'],
    description: 'GUI program execution tracked in the RecentApps registry key (Windows 10 1607 to 1709).',
    parameters: [
      p('UserFilter', 'regex', '', 'If specified we filter by this user ID.'),
      p('ExecutionTimeAfter', 'timestamp', '', 'If specified only show executions after this time.'),
      p(
        'RecentAppsKey',
        'string',
        'Software\\Microsoft\\Windows\\CurrentVersion\\Search\\RecentApps\\*',
        'Registry key glob.',
      ),
      p('UserHomes', 'string', 'C:\\Users\\*\\NTUSER.DAT', 'User hive glob.'),
    ],
    sources: [''],
  },
  {
    name: 'Windows.Remediation.Quarantine',
    type: 'CLIENT',
    os: ['windows'],
    description:
      'Apply quarantine via Windows local IPSec policy. To remove policy, select the RemovePolicy checkbox.',
    parameters: [
      p('PolicyName', 'string', 'VelociraptorQuarantine', 'IPSec policy name.'),
      p(
        'RuleLookupTable',
        'csv',
        'Action,SrcAddr,SrcMask,SrcPort,DstAddr,DstMask,DstPort,Protocol,Mirrored,Description\nPermit,me,,0,any,,53,udp,yes,DNS\nPermit,me,,0,any,,53,tcp,yes,DNS TCP\nPermit,me,,68,any,,67,udp,yes,DHCP\nBlock,any,,,any,,,,yes,All other traffic\n',
        'Additional policy entries (netsh ipsec syntax).',
      ),
      p(
        'MessageBox',
        'string',
        '',
        'Optional message box notification to send to logged in users. 256 character limit.',
      ),
      p('RemovePolicy', 'bool', '', 'Tickbox to remove policy.'),
    ],
    sources: [''],
  },
  {
    name: 'Linux.Remediation.Quarantine',
    type: 'CLIENT',
    os: ['linux'],
    description:
      'Apply quarantine to Linux systems via nftables. To unquarantine the system, set RemovePolicy.',
    parameters: [
      p('pathToNFT', 'string', '/usr/sbin/nft', 'We depend on nft to manage the tables, chains, and rules.'),
      p('TableName', 'string', 'vrr_quarantine_table', 'Name of the quarantine table'),
      p('ForbiddenTestURL', 'string', 'https://www.google.com', 'URL for forbidden connection check'),
      p(
        'MessageBox',
        'string',
        '',
        'Optional message box notification to send to logged in users. 256 character limit.',
      ),
      p('RemovePolicy', 'bool', '', 'Tickbox to remove policy.'),
    ],
    sources: [''],
  },
  {
    name: 'MacOS.Remediation.Quarantine',
    type: 'CLIENT',
    os: ['darwin'],
    description:
      'Applies network quarantine to a macOS system using Packet Filter (PF). To unquarantine the system, set RemovePolicy.',
    parameters: [
      p('PfctlPath', 'string', '/sbin/pfctl', 'Path to the macOS pfctl utility.'),
      p(
        'PFConfigPath',
        'string',
        '/etc/pf.conf',
        'Main PF configuration inspected for the standard com.apple anchor.',
      ),
      p(
        'AnchorName',
        'string',
        'com.apple/velociraptor.quarantine',
        'Dynamic PF anchor used for the quarantine rules.',
      ),
      p(
        'TokenFile',
        'string',
        '/var/run/velociraptor-quarantine.pf-token',
        'Stores the PF enable reference token acquired by this artifact.',
      ),
      p(
        'ForbiddenTestURL',
        'string',
        'https://www.google.com',
        'URL that should not remain reachable after quarantine.',
      ),
      p(
        'ForbiddenTestTimeout',
        'string',
        '15',
        'Maximum number of seconds allowed for the forbidden destination probe.',
      ),
      p('CurlPath', 'string', '/usr/bin/curl', 'Path to the macOS curl utility used for the bounded probe.'),
      p(
        'AdditionalAllowedDestinations',
        'csv',
        'Address,Port,Protocol,Description\n',
        'Optional additional destinations.',
      ),
      p('MessageBox', 'string', '', 'Optional macOS Notification Center message. 256 character limit.'),
      p('RemovePolicy', 'bool', '', 'Tickbox to remove the quarantine policy.'),
      p('VelociraptorURL', 'string', '', 'Additional Velociraptor frontend URL to allow.'),
    ],
    sources: [''],
  },
  {
    name: 'Generic.Detection.Yara.Glob',
    type: 'CLIENT',
    os: [],
    description: 'Search files with YARA.',
    parameters: [
      p('PathGlob', 'string', '/**', 'Files to scan.'),
      p('YaraRule', 'string', '', 'YARA rule text.'),
      p('NumberOfHits', 'int', '1', 'Hits per file.'),
      p('UploadHits', 'bool', 'N', 'Upload hit files.'),
    ],
    sources: [''],
  },
  {
    name: 'Windows.Detection.Yara.Process',
    type: 'CLIENT',
    os: ['windows'],
    description: 'Scan process memory with YARA.',
    parameters: [
      p('ProcessRegex', 'regex', '.', 'Processes to scan.'),
      p('YaraRule', 'string', '', 'YARA rule text.'),
    ],
    sources: [''],
  },
  {
    name: 'Linux.Detection.Yara.Process',
    type: 'CLIENT',
    os: ['linux'],
    description: 'Scan process memory with YARA.',
    parameters: [
      p('ProcessRegex', 'regex', '.', 'Processes to scan.'),
      p('YaraRule', 'string', '', 'YARA rule text.'),
    ],
    sources: [''],
  },
  {
    name: 'System.VFS.ListDirectory',
    type: 'CLIENT',
    os: [],
    basic: true,
    description: 'List a single directory (the GUI VFS view).',
    parameters: [
      p('Path', 'string', '/', 'The path of the directory (read only by clients without vfs_ls).'),
      p('Components', 'json_array', '', 'Alternatively, this is an explicit list of components.'),
      p('Accessor', 'string', 'file', 'An accessor to use.'),
      p('Depth', 'int', '0', 'Depth of directory to list.'),
    ],
    sources: ['Listing', 'Stats', ''],
  },
  {
    name: 'System.VFS.DownloadFile',
    type: 'CLIENT',
    os: [],
    basic: true,
    description: 'Download a file into the VFS.',
    parameters: [
      p('Path', 'string', '/', 'The path of the file to download (read only by clients before 0.7.0).'),
      p('Components', 'json_array', '', 'Alternatively, this is an explicit list of components.'),
      p('Accessor', 'string', 'file', 'An accessor to use.'),
      p(
        'Recursively',
        'bool',
        '',
        'If specified, Path is interpreted as a directory and we download all files below it.',
      ),
      p(
        'UPLOAD_IS_RESUMABLE',
        'bool',
        '',
        'If set the uploads can be resumed if the flow times out or errors.',
      ),
    ],
    sources: [''],
  },
  {
    name: 'Server.Utils.CreateMSI',
    type: 'SERVER',
    os: [],
    description: 'Repack the official MSI with the client config (in the simulator: stand-in files only).',
    parameters: [
      p('AlsoBuild_x86', 'bool', '', 'Also build the 32-bit MSI.'),
      p('CustomConfig', 'yaml', '', 'Client config to embed.'),
    ],
    sources: [''],
  },
  {
    name: 'Server.Utils.CreateLinuxPackages',
    type: 'SERVER',
    os: [],
    description: 'Build deb and rpm client packages (in the simulator: stand-in files only).',
    parameters: [p('CustomConfig', 'yaml', '', 'Client config to embed.')],
    sources: [''],
  },
  {
    name: 'Server.Utils.CreateCollector',
    type: 'SERVER',
    os: [],
    description: 'Build an offline collector (in the simulator: a stand-in file only).',
    parameters: [
      // The parameters of 0.77.2's definition (names, types, defaults); the VQL is not reproduced.
      p('OS', 'choices', 'Windows', 'Target OS.', [
        'Windows',
        'Windows_x86',
        'Linux',
        'MacOS',
        'MacOSArm',
        'Generic',
      ]),
      p('artifacts', 'json_array', '["Generic.Client.Info"]', 'A list of artifacts to collect'),
      p('encryption_scheme', 'string', '', 'Encryption scheme to use: Password, X509 or PGP'),
      p('encryption_args', 'json', '{}', 'Encryption arguments'),
      p('parameters', 'json', '{}', 'A dict containing the parameters to set.'),
      p('target', 'choices', 'ZIP', 'Output type', [
        'ZIP',
        'GCS',
        'S3',
        'SFTP',
        'Azure',
        'SMBShare',
        'WebDAV',
      ]),
      p('target_args', 'json', '{}', 'Type Dependent args'),
      p('opt_verbose', 'bool', 'Y', 'Show verbose progress.'),
      p('opt_banner', 'bool', 'Y', 'Show Velociraptor banner.'),
      p('opt_prompt', 'bool', 'N', 'Wait for a prompt before exit.'),
      p('opt_admin', 'bool', 'Y', 'Require administrator.'),
      p('opt_tempdir', 'string', '', 'A directory to write tempfiles in'),
      p('opt_level', 'int', '5', 'Compression level (0=no compression).'),
      p('opt_concurrency', 'int', '2', 'Number of concurrency queries'),
      p('opt_format', 'string', 'jsonl', 'Output format (jsonl or csv)'),
      p('opt_output_directory', 'string', '', 'Where we actually write the collection to.'),
      p('opt_filename_template', 'string', 'Collection-%Hostname%-%TIMESTAMP%', 'The filename to use.'),
      p('opt_collector_filename', 'string', '', 'If used, this option overrides the default filename.'),
      p(
        'opt_cpu_limit',
        'int',
        '0',
        'A number between 0 to 100 representing the target maximum CPU utilization.',
      ),
      p('opt_progress_timeout', 'int', '1800', 'Seconds without progress before the collection is aborted.'),
      p('opt_timeout', 'int', '0', 'Seconds before the collection is aborted (0 = unlimited).'),
      p(
        'opt_version',
        'string',
        '',
        'The version of Velociraptor to repack (default: the latest in the inventory).',
      ),
      p('opt_delete_at_exit', 'bool', 'N', 'Delete the collection at exit.'),
    ],
    sources: [''],
  },
  {
    name: 'Server.Utils.ImportCollection',
    type: 'SERVER',
    os: [],
    description:
      'Imports offline collector results (in zipped collection containers) into the server so they appear alongside regular client collections.',
    parameters: [
      p(
        'ClientId',
        'string',
        'auto',
        'The client id to upload this collection into. The default is "auto" which will create a new client id.',
      ),
      p('Hostname', 'string', '', 'If creating a new client, this must contain the hostname.'),
      p('Path', 'string', '', 'A path on the server containing the zip file to upload.'),
    ],
    sources: [''],
  },
  {
    name: 'Windows.Sysinternals.Autoruns',
    type: 'CLIENT',
    os: ['windows'],
    description: 'Uses Sysinternals autoruns to scan the host (its tools as 0.77.2 declares them).',
    parameters: [p('All', 'bool', 'Y', 'Collect all autorun entries.')],
    sources: [''],
    tools: [
      { name: 'Autorun_386', url: 'https://live.sysinternals.com/tools/autorunsc.exe' },
      { name: 'Autorun_amd64', url: 'https://live.sysinternals.com/tools/autorunsc64.exe' },
    ],
  },
  {
    name: 'System.Flow.Completion',
    type: 'INTERNAL',
    os: [],
    description: 'An internal artifact that produces events for every flow completion in the system.',
    parameters: [],
    sources: [''],
  },
  {
    name: 'Generic.Client.Stats',
    type: 'CLIENT_EVENT',
    os: [],
    description: 'An Event artifact which generates client CPU and memory statistics.',
    parameters: [p('Frequency', 'int', '10', 'Seconds between samples.')],
    sources: [''],
  },
];

/**
 * The 0.75 catalogue: Windows.Search.FileFinder has only the table form of its glob (no Glob, no
 * SearchFilesGlob), and MacOS.Remediation.Quarantine does not exist yet (it came with 0.77.2).
 */
function catalogue075(): ArtifactDefinition[] {
  return ARTIFACTS.filter((a) => a.name !== 'MacOS.Remediation.Quarantine').map((a) =>
    a.name === 'Windows.Search.FileFinder'
      ? { ...a, parameters: a.parameters.filter((x) => x.name !== 'Glob') }
      : a,
  );
}

const CATALOGUES: Record<ReleaseLine, Map<string, ArtifactDefinition>> = {
  '0.77': new Map(ARTIFACTS.map((a) => [a.name, a])),
  '0.75': new Map(catalogue075().map((a) => [a.name, a])),
};

/** Every artifact of a release line's catalogue. */
export function catalogue(line: ReleaseLine = '0.77'): ArtifactDefinition[] {
  return [...CATALOGUES[line].values()];
}

export function findArtifact(name: string, line: ReleaseLine = '0.77'): ArtifactDefinition | undefined {
  return CATALOGUES[line].get(name);
}

/** Result keys as Velociraptor stores them: "Artifact" for an unnamed source, else "Artifact/Source". */
export function sourceKeys(def: ArtifactDefinition): string[] {
  return def.sources.map((s) => (s === '' ? def.name : `${def.name}/${s}`));
}

/** Artifact parameters arrive as strings and are converted per declared type (VR launcher/parameters.go). */
export function typedParameter(def: ArtifactDefinition, env: Record<string, string>, name: string): unknown {
  const param = def.parameters.find((x) => x.name === name);
  const raw = env[name] ?? param?.default ?? '';
  switch (param?.type) {
    case 'bool':
      return /^(Y|TRUE|YES|OK)$/i.test(raw);
    case 'int':
      return Number.parseInt(raw, 10) || 0;
    case 'json':
    case 'json_array':
    case 'yaml':
      try {
        return raw ? (JSON.parse(raw) as unknown) : null;
      } catch {
        return raw;
      }
    default:
      return raw;
  }
}
