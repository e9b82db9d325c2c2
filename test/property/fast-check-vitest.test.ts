/**
 * The properties also plug into @fast-check/vitest: `it.prop` draws cases from a property's
 * arbitrary and `check(case)` runs and judges one (throwing a PropertyViolation that names the
 * violations and the case; fast-check then prints its seed and path as usual).
 */
import { it } from '@fast-check/vitest';
import { expect } from 'vitest';
import type { Subject } from '../../harness/backend.ts';
import { properties } from '../../harness/property/index.ts';
import { referenceSubject } from '../../harness/subjects/reference.ts';

const completeness = properties.completeness(referenceSubject as Subject<never>);

it.prop([completeness.flatline.arbitrary], { numRuns: 5 })(
  'completeness through it.prop: the reference detects every long-enough fault within its bound',
  async (c) => {
    const verdict = await completeness.flatline.check(c);
    expect(verdict.violations).toEqual([]);
  },
);
