/**
 * The MITRE ATT&CK (Enterprise, Containers) tactic each technique our rules name stands for. A
 * technique can serve several tactics; here it counts under the one it serves in the rules that
 * name it first (their primary technique), so that one finding adds one tactic, and an incident
 * spanning three tactics took three different steps of an attack, as GuardDuty's attack sequences
 * count them.
 */
const TACTICS: Record<string, string> = {
  T1018: 'Discovery',
  T1021: 'Lateral Movement',
  T1036: 'Defense Evasion',
  T1041: 'Exfiltration',
  T1046: 'Discovery',
  T1048: 'Exfiltration',
  T1059: 'Execution',
  T1068: 'Privilege Escalation',
  T1069: 'Discovery',
  T1070: 'Defense Evasion',
  T1071: 'Command and Control',
  T1078: 'Initial Access',
  T1098: 'Persistence',
  T1105: 'Command and Control',
  T1110: 'Credential Access',
  T1133: 'Initial Access',
  T1134: 'Privilege Escalation',
  T1136: 'Persistence',
  T1190: 'Initial Access',
  T1195: 'Initial Access',
  T1204: 'Execution',
  T1210: 'Lateral Movement',
  T1485: 'Impact',
  T1496: 'Impact',
  T1498: 'Impact',
  T1528: 'Credential Access',
  T1531: 'Impact',
  T1546: 'Persistence',
  T1550: 'Defense Evasion',
  T1552: 'Credential Access',
  T1557: 'Credential Access',
  T1562: 'Defense Evasion',
  T1565: 'Impact',
  T1567: 'Exfiltration',
  T1571: 'Command and Control',
  T1578: 'Defense Evasion',
  T1595: 'Reconnaissance',
  T1609: 'Execution',
  T1610: 'Execution',
  T1611: 'Privilege Escalation',
  T1613: 'Discovery',
  T1649: 'Credential Access',
};

/** The tactic of a finding: that of its rule's primary (first) technique; undefined when it names none we know. */
export function tacticOf(mitre: readonly string[]): string | undefined {
  const primary = mitre[0];
  return primary ? TACTICS[primary.split('.')[0] ?? ''] : undefined;
}
