import { describe, expect, it } from 'vitest';
import { ALL_DETECTORS } from '../../shared/detect';
import { tacticOf } from '../../shared/incident';

describe('MITRE ATT&CK tactics', () => {
  it('are known for the primary technique of every detector, so each finding counts under one', () => {
    const unknown = ALL_DETECTORS.filter((d) => d.mitre.length > 0 && tacticOf(d.mitre) === undefined).map(
      (d) => `${d.id}: ${d.mitre[0]}`,
    );
    expect(unknown).toEqual([]);
  });

  it('count a sub-technique under its technique', () => {
    expect(tacticOf(['T1552.007'])).toBe('Credential Access');
    expect(tacticOf(['T1610', 'T1611'])).toBe('Execution');
    expect(tacticOf([])).toBeUndefined();
  });
});
