import { describe, expect, it } from 'vitest';
import { attributeText, MAX_ERROR_CHARS } from '../../shared/aws/dead-letters';

describe('attributeText', () => {
  it('keeps an ordinary error message as it is', () => {
    expect(attributeText('stopped reading s3://logs/a.gz: 10 s before the Lambda timeout')).toBe(
      'stopped reading s3://logs/a.gz: 10 s before the Lambda timeout',
    );
  });

  it('replaces the characters SQS refuses in an attribute and keeps tabs and line breaks', () => {
    expect(attributeText('a\u0000b\u001Fc\td\ne\rf\uFFFF\uD800g')).toBe('a\uFFFDb\uFFFDc\td\ne\rf\uFFFD\uFFFDg');
  });

  it(`cuts a long message to ${MAX_ERROR_CHARS} characters, never inside a surrogate pair`, () => {
    const cut = attributeText('x'.repeat(MAX_ERROR_CHARS - 2) + '😀'.repeat(10));
    expect(Array.from(cut)).toHaveLength(MAX_ERROR_CHARS);
    expect(cut.endsWith('x😀…')).toBe(true);
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});
