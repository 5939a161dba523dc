import { answersFor, type PeerCatalog } from './types';

const { covered, partial } = answersFor('guardduty-vpc');

const INTEL_GAP =
  "GuardDuty's own threat intelligence is not public: Driftwatch matches only the lists it is given (FireHOL " +
  'level 1, Spamhaus DROP, mining pools, your own), so addresses only AWS knows are missed.';

/** GuardDuty EC2 finding types whose data source is VPC Flow Logs. */
export const GUARDDUTY_VPC: PeerCatalog = {
  peer: 'guardduty-vpc',
  name: 'GuardDuty VPC-flow (EC2) finding types',
  source:
    'Amazon GuardDuty User Guide, "GuardDuty active finding types": every EC2 finding type whose data source is VPC ' +
    'Flow Logs. The 22 of the table archived in awsdocs/amazon-guardduty-user-guide (June 2023), plus the three ' +
    'DefenseEvasion:EC2 resolver findings added since, whose data source is also VPC flow logs. The !DNS variants ' +
    '(DNS logs) and the Runtime and Malware Protection findings are other data sources.',
  rules: [
    'Backdoor:EC2/C&CActivity.B',
    'Backdoor:EC2/DenialOfService.Dns',
    'Backdoor:EC2/DenialOfService.Tcp',
    'Backdoor:EC2/DenialOfService.Udp',
    'Backdoor:EC2/DenialOfService.UdpOnTcpPorts',
    'Backdoor:EC2/DenialOfService.UnusualProtocol',
    'Backdoor:EC2/Spambot',
    'Behavior:EC2/NetworkPortUnusual',
    'Behavior:EC2/TrafficVolumeUnusual',
    'CryptoCurrency:EC2/BitcoinTool.B',
    'DefenseEvasion:EC2/UnusualDNSResolver',
    'DefenseEvasion:EC2/UnusualDoHActivity',
    'DefenseEvasion:EC2/UnusualDoTActivity',
    'Impact:EC2/PortSweep',
    'Impact:EC2/WinRMBruteForce',
    'Recon:EC2/PortProbeEMRUnprotectedPort',
    'Recon:EC2/PortProbeUnprotectedPort',
    'Recon:EC2/Portscan',
    'Trojan:EC2/BlackholeTraffic',
    'Trojan:EC2/DropPoint',
    'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom',
    'UnauthorizedAccess:EC2/RDPBruteForce',
    'UnauthorizedAccess:EC2/SSHBruteForce',
    'UnauthorizedAccess:EC2/TorClient',
    'UnauthorizedAccess:EC2/TorRelay',
  ],
  entries: [
    partial(
      'Backdoor:EC2/C&CActivity.B',
      ['net.threat-intel-match'],
      `Traffic with a listed C&C address. ${INTEL_GAP}`,
    ),
    covered(
      'Backdoor:EC2/DenialOfService.Dns',
      ['net.outbound-flood'],
      'An outbound flood to one target, by packet rate; DNS floods are UDP 53.',
    ),
    covered(
      'Backdoor:EC2/DenialOfService.Tcp',
      ['net.outbound-flood'],
      'An outbound TCP flood to one target, by packet rate.',
    ),
    covered(
      'Backdoor:EC2/DenialOfService.Udp',
      ['net.outbound-flood'],
      'An outbound UDP flood to one target, by packet rate.',
    ),
    covered('Backdoor:EC2/DenialOfService.UdpOnTcpPorts', ['net.outbound-flood'], 'UDP sent to ports that serve TCP.'),
    covered('Backdoor:EC2/DenialOfService.UnusualProtocol', ['net.outbound-flood'], 'Floods in rare IP protocols.'),
    covered('Backdoor:EC2/Spambot', ['net.mail-egress'], 'Mail egress volume on port 25.'),
    covered('Behavior:EC2/NetworkPortUnusual', ['net.new-port'], 'A destination port the workload never used.'),
    covered('Behavior:EC2/TrafficVolumeUnusual', ['net.volume-spike'], 'Hourly bytes far above the edge baseline.'),
    covered(
      'CryptoCurrency:EC2/BitcoinTool.B',
      ['net.mining-pool-port', 'net.threat-intel-match'],
      'Stratum ports to public addresses, and mining-pool addresses on the threat lists.',
    ),
    covered('DefenseEvasion:EC2/UnusualDNSResolver', ['net.dns-egress'], 'DNS to resolvers outside the approved list.'),
    partial(
      'DefenseEvasion:EC2/UnusualDoHActivity',
      ['net.dns-egress', 'net.new-external-destination'],
      'DNS over HTTPS rides on 443 and is told apart only by the resolver address; no list of public DoH ' +
        'resolvers ships, so only a first connection to a new public block is reported.',
    ),
    covered(
      'DefenseEvasion:EC2/UnusualDoTActivity',
      ['net.dns-egress'],
      'DNS over TLS (853) to resolvers outside the approved list.',
    ),
    covered('Impact:EC2/PortSweep', ['net.port-sweep'], 'One source probing one port on many hosts.'),
    covered(
      'Impact:EC2/WinRMBruteForce',
      ['net.brute-force'],
      'Many connections per client, server and port 5985/5986 in a window.',
    ),
    covered(
      'Recon:EC2/PortProbeEMRUnprotectedPort',
      ['net.public-ingress', 'net.inbound-port-policy'],
      'Accepted public traffic to a workload that is not an entry point; EMR ports can go on the inbound deny list.',
    ),
    covered(
      'Recon:EC2/PortProbeUnprotectedPort',
      ['net.public-ingress', 'net.internet-scan'],
      'Accepted public traffic to an internal address that is not an entry point, and internet-wide scans of one port.',
    ),
    covered('Recon:EC2/Portscan', ['net.port-scan'], 'One source probing many ports of one host.'),
    partial(
      'Trojan:EC2/BlackholeTraffic',
      ['net.threat-intel-match'],
      `Only sinkholed addresses that are on a configured list. ${INTEL_GAP}`,
    ),
    partial('Trojan:EC2/DropPoint', ['net.threat-intel-match'], `Only drop points on a configured list. ${INTEL_GAP}`),
    covered(
      'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom',
      ['net.threat-intel-match'],
      'Your own threat lists, in the threat-list location.',
    ),
    covered(
      'UnauthorizedAccess:EC2/RDPBruteForce',
      ['net.brute-force'],
      'Many connections per client, server and port 3389 in a window.',
    ),
    covered(
      'UnauthorizedAccess:EC2/SSHBruteForce',
      ['net.brute-force'],
      'Many connections per client, server and port 22 in a window.',
    ),
    partial(
      'UnauthorizedAccess:EC2/TorClient',
      ['net.threat-intel-match'],
      'The default Tor list holds exit nodes; a Tor client talks to guard and directory relays, which match only ' +
        'when the full relay list is added to the threat lists.',
    ),
    partial(
      'UnauthorizedAccess:EC2/TorRelay',
      ['net.threat-intel-match'],
      'Traffic with listed Tor addresses matches; a workload acting as a relay (many relays connecting in) is not ' +
        'recognised as such, and needs the full relay list.',
    ),
  ],
};
