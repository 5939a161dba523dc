import { join } from 'node:path';
import { type Acknowledgment as CdkAcknowledgment, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Acknowledgment, FIXTURES, type Synthesized, synthesize } from './synth';

/**
 * Every cdk-nag acknowledgment must answer a real finding. Each config is synthesized with
 * acknowledge() recording instead of acknowledging, so cdk-nag reports everything it finds; each
 * recorded acknowledgment must then match one of those findings at or below where it was made.
 * (That the shipped stacks leave nothing unacknowledged is asserted by the stack tests.)
 */
describe.each([
  ['the default config', undefined],
  ['a full config', join(FIXTURES, 'full.config.json')],
  ['plumbing into the created bucket', join(FIXTURES, 'plumbing.config.json')],
  ['the threat-list fetcher on', join(FIXTURES, 'threat-list-fetch.config.json')],
])('cdk-nag acknowledgments with %s', (_name, configFile) => {
  let bare: Synthesized;
  const recorded: Acknowledgment[] = [];

  beforeAll(() => {
    const realOf = Validations.of.bind(Validations);
    const spy = vi.spyOn(Validations, 'of').mockImplementation((scope: IConstruct) => {
      const real = realOf(scope);
      return new Proxy(real, {
        get(target, property) {
          if (property === 'acknowledge') {
            return (...rules: CdkAcknowledgment[]) => {
              for (const rule of rules) recorded.push({ path: scope.node.path, id: rule.id, reason: rule.reason });
            };
          }
          const value = Reflect.get(target, property);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    });
    try {
      bare = synthesize(configFile);
    } finally {
      spy.mockRestore();
    }
  }, 180_000);

  afterAll(() => bare?.dispose());

  it('acknowledges only findings that cdk-nag really reports there', () => {
    const ours = recorded.filter((ack) => ack.id.startsWith('AwsSolutions-'));
    expect(ours.length).toBeGreaterThan(0);
    const findings = bare.violations.filter((v) => v.plugin === 'AwsSolutions');
    for (const ack of ours) {
      const answered = findings.some(
        (f) => f.rule === ack.id && f.paths.some((path) => path === ack.path || path.startsWith(`${ack.path}/`)),
      );
      expect(answered, `${ack.path}: ${ack.id} answers no finding`).toBe(true);
    }
  });

  it('acknowledges every finding cdk-nag reports', () => {
    const ours = recorded.filter((ack) => ack.id.startsWith('AwsSolutions-'));
    const findings = bare.violations.filter((v) => v.plugin === 'AwsSolutions');
    for (const finding of findings) {
      for (const path of finding.paths) {
        const covered = ours.some(
          (ack) => ack.id === finding.rule && (path === ack.path || path.startsWith(`${ack.path}/`)),
        );
        expect(covered, `${path}: ${finding.rule} is not acknowledged`).toBe(true);
      }
    }
  });

  it('gives every acknowledgment a specific reason', () => {
    for (const ack of recorded.filter((a) => a.id.startsWith('AwsSolutions-'))) {
      expect(ack.reason.length, `${ack.path}: ${ack.id}`).toBeGreaterThan(40);
    }
  });
});
