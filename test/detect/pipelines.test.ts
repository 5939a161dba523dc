import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config/load';
import { exampleEvent } from '../../shared/detect/audit/lib/example-events';
import { type LearnedPipeline, learnPipelines } from '../../shared/detect/audit/lib/pipelines';
import { pipelineDrift } from '../../shared/detect/audit/pipeline-drift';
import { buildDetectContext } from '../../shared/detect/context';

const CI = 'github-actions';
const KUBECTL = 'kubectl/v1.31';

/** A baseline entry of the learner: a workload change by `username`, seen on the given days of November. */
function change(network: string, days: number[], agent = KUBECTL, username = CI, hint: 0 | 1 = 0) {
  return {
    value: JSON.stringify(['change', username, network, agent, hint]),
    dayCounts: Object.fromEntries(days.map((d) => [`2026-11-${String(d).padStart(2, '0')}`, 3])),
  };
}

function learn(entries: ReturnType<typeof change>[], config = {}): LearnedPipeline[] {
  const context = buildDetectContext(defaultConfig(config));
  return learnPipelines('prod', entries, context.learnedPipelines);
}

describe('learnPipelines: networks', () => {
  it('learns the provider ranges hosted runners rotate over, each seen on two days or more', () => {
    const learned = learn([
      change('4.175.0.0/16', [2, 4, 5]),
      change('20.61.0.0/16', [2, 3]),
      change('52.236.0.0/16', [1, 3, 4]),
    ]);
    expect(learned).toEqual([
      {
        cluster: 'prod',
        username: CI,
        networks: ['20.61.0.0/16', '4.175.0.0/16', '52.236.0.0/16'],
        agent: KUBECTL,
        since: Date.parse('2026-11-01T00:00:00Z'),
      },
    ]);
  });

  it('learns up to four networks, not five', () => {
    const four = ['4.175', '20.61', '52.236', '13.64'].map((n) => change(`${n}.0.0/16`, [1, 2, 3]));
    expect(learn(four).map((p) => p.networks.length)).toEqual([4]);
    expect(learn([...four, change('40.74.0.0/16', [1, 2, 3])])).toEqual([]);
  });

  it('leaves out a network seen on one day only, while such strays are no more than its own', () => {
    const own = [change('4.175.0.0/16', [1, 2, 3]), change('20.61.0.0/16', [2, 4])];
    expect(learn([...own, change('198.51.0.0/16', [5])])[0]?.networks).toEqual(['20.61.0.0/16', '4.175.0.0/16']);
    expect(learn([...own, change('198.51.0.0/16', [5]), change('192.0.0.0/16', [6])])).toHaveLength(1);
    expect(
      learn([...own, change('198.51.0.0/16', [5]), change('192.0.0.0/16', [6]), change('203.0.0.0/16', [7])]),
    ).toEqual([]);
  });

  it('does not learn an identity whose every network is new each day', () => {
    expect(learn([1, 2, 3, 4].map((d) => change(`10.${d}.0.0/16`, [d])))).toEqual([]);
  });

  it('reads values written before networks were /16s (a /24, an IPv6 /64) as their /16 and /48', () => {
    const learned = learn([
      change('10.0.5.0/24', [1, 2]),
      change('10.0.6.0/24', [3]),
      change('2001:db8:aa:1::/64', [1, 2, 3], KUBECTL, 'argo'),
    ]);
    expect(learned.map((p) => [p.username, p.networks])).toEqual([
      ['argo', ['2001:db8:aa::/48']],
      [CI, ['10.0.0.0/16']],
    ]);
  });
});

describe('learnPipelines: user agent', () => {
  it('follows a version bump: the newer version, seen on the later days, is the agent', () => {
    const learned = learn([
      change('4.175.0.0/16', [1, 2, 3], 'kubectl/v1.30'),
      change('4.175.0.0/16', [3, 4, 5], 'kubectl/v1.31'),
    ]);
    expect(learned.map((p) => p.agent)).toEqual(['kubectl/v1.31']);
  });

  it('does not learn two versions taking turns, nor two tools', () => {
    expect(
      learn([change('4.175.0.0/16', [1, 3, 5], 'kubectl/v1.30'), change('4.175.0.0/16', [2, 4], 'kubectl/v1.31')]),
    ).toEqual([]);
    expect(
      learn([change('4.175.0.0/16', [1, 2, 3], 'kubectl/v1.31'), change('4.175.0.0/16', [4, 5], 'helm/v3.15')]),
    ).toEqual([]);
  });
});

describe('learnPipelines: people', () => {
  it('never learns an identity that once read a secret or opened a shell', () => {
    const entries = [
      change('4.175.0.0/16', [1, 2, 3, 4, 5]),
      { value: JSON.stringify(['interactive', CI]), dayCounts: { '2026-11-04': 1 } },
    ];
    expect(learn(entries)).toEqual([]);
  });
});

describe('LearnedPipelines', () => {
  const pipeline: LearnedPipeline = {
    cluster: 'example',
    username: CI,
    networks: ['20.61.0.0/16', '2001:db8:aa::/48'],
    agent: KUBECTL,
    since: Date.parse('2026-11-01T00:00:00Z'),
  };
  const context = buildDetectContext(defaultConfig({ learning: { days: 7 } }));
  context.learnedPipelines.replace([pipeline]);
  const event = (sourceIp: string, userAgent = 'kubectl/v1.31.4 (linux/amd64)', cluster = 'example') =>
    exampleEvent({ verb: 'patch', resource: 'deployments', user: CI, sourceIps: [sourceIp], userAgent, cluster });

  it('matches its identity from any address of its networks, with its agent, in its cluster', () => {
    expect(context.learnedPipelines.matches(event('20.61.200.1'))).toBe(true);
    expect(context.learnedPipelines.matches(event('2001:db8:aa:ff::9'))).toBe(true);
    expect(context.learnedPipelines.matches(event('20.62.0.1'))).toBe(false);
    expect(context.learnedPipelines.matches(event('20.61.200.1', 'kubectl/v1.30.1'))).toBe(false);
    expect(context.learnedPipelines.matches(event('20.61.200.1', undefined, 'other'))).toBe(false);
  });

  it('tells how an event drifts: the new network, the other agent, or nothing', () => {
    expect(context.learnedPipelines.drift(event('20.61.200.1'))).toBeUndefined();
    expect(context.learnedPipelines.drift(event('20.62.0.1'))).toEqual({ pipeline, network: '20.62.0.0/16' });
    expect(context.learnedPipelines.drift(event('20.61.0.1', 'curl/8.5.0'))).toEqual({ pipeline, agent: 'curl/8.5' });
    expect(context.learnedPipelines.drift(event('20.62.0.1', undefined, 'other'))).toBeUndefined();
  });
});

describe('audit.pipeline-drift severity', () => {
  const context = buildDetectContext(defaultConfig({ audit: { knownNetworks: ['192.0.2.0/24'] } }));
  const since = Date.parse('2026-10-01T00:00:00Z');
  context.learnedPipelines.replace([
    { cluster: 'example', username: CI, networks: ['20.61.0.0/16'], agent: KUBECTL, since },
    { cluster: 'example', username: 'argo', networks: ['10.0.0.0/16'], agent: 'argocd-server/v2.13', since },
  ]);
  const severity = (user: string, sourceIp: string, userAgent: string) =>
    pipelineDrift.detect(
      exampleEvent({
        verb: 'patch',
        resource: 'deployments',
        namespace: 'shop',
        name: 'web',
        user,
        sourceIps: [sourceIp],
        userAgent,
      }),
      context,
    )?.severity;

  it('is medium for a hosted pipeline on a new range of the internet, or a version bump', () => {
    expect(severity(CI, '4.175.0.9', 'kubectl/v1.31.2')).toBe('medium');
    expect(severity(CI, '20.61.0.9', 'kubectl/v1.32.0')).toBe('medium');
  });

  it('is high for a pipeline that ran inside calling from the internet, or its credential in a hand tool', () => {
    expect(severity('argo', '198.51.100.7', 'argocd-server/v2.13.1')).toBe('high');
    expect(severity('argo', '10.0.9.9', 'kubectl/v1.31.2')).toBe('high');
    expect(severity(CI, '20.61.0.9', 'curl/8.5.0')).toBe('high');
  });

  it('is medium from a known network, and silent for a configured CI/CD identity', () => {
    expect(severity('argo', '192.0.2.10', 'argocd-server/v2.13.1')).toBe('medium');
    const configured = buildDetectContext(defaultConfig({ identities: { cicd: [CI] } }));
    configured.learnedPipelines.replace([
      { cluster: 'example', username: CI, networks: ['20.61.0.0/16'], agent: KUBECTL, since },
    ]);
    const event = exampleEvent({ verb: 'patch', resource: 'deployments', user: CI, sourceIps: ['4.175.0.9'] });
    expect(pipelineDrift.detect(event, configured)).toBeUndefined();
  });
});
