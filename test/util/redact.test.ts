import { describe, expect, it } from 'vitest';
import { printable, redact } from '../../shared/util/redact';

describe('redact', () => {
  it.each([
    ['env DB_PASSWORD=hunter2 ./run', 'hunter2'],
    ['/exec?command=sh&command=-c&command=env%20DB_PASSWORD%3Dhunter2%20x', 'hunter2'],
    ['mysql --password s3cr3t -h db', 's3cr3t'],
    ['curl -H "Authorization: Bearer abcdefghijklmnop123" http://x', 'abcdefghijklmnop123'],
    [
      'token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'dozjgNryP4J3',
    ],
    ['aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'wJalrXUtnFEMI'],
    ['key AKIAIOSFODNN7EXAMPLE', 'IOSFODNN7EXAMPLE'],
    ['git clone https://user:pa55w0rd@github.com/x/y', 'pa55w0rd'],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----', 'MIIEow'],
  ])('removes the secret from %j', (text, secret) => {
    const out = redact(text);
    expect(out).not.toContain(secret);
    expect(out).toContain('REDACTED');
  });

  it('leaves ordinary commands alone', () => {
    for (const text of ['ls -la /tmp', 'cat /etc/hosts', 'kubectl get pods -n payments', 'sh -c id']) {
      expect(redact(text)).toBe(text);
    }
  });
});

describe('printable', () => {
  it('escapes control characters, ANSI sequences and bidi overrides, and bounds length', () => {
    expect(printable('a\u001b[31mred\u0007')).toBe('a\\u001b[31mred\\u0007');
    expect(printable('x\u202ey')).toBe('x\\u202ey');
    expect(printable('z'.repeat(20), 10)).toHaveLength(10);
  });
});
