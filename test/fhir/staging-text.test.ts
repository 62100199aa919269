import { parseStagingText } from '../../src/fhir/staging-text';

describe('staging written as text or AJCC codes', () => {
  test.each([
    ['T4', 'T', 'T4'],
    ['cT3', 'T', 'T3'],
    ['ypT2', 'T', 'T2'],
    ['t1', 'T', 'T1'],
    ['AJCC T4', 'T', 'T4'],
    ['N3b', 'N', 'N3'],
    ['cN2', 'N', 'N2'],
    ['N0', 'N', 'N0'],
    ['cM0', 'M', 'M0'],
    ['M1a', 'M', 'M1'],
    ['Stage IVA', 'stage', 'IVA'],
    ['stage III', 'stage', 'III'],
    ['IVB', 'stage', 'IVB'],
    ['Stage 3', 'stage', 'III'],
    ['4A', 'stage', 'IVA'],
    ['AJCC 8th edition stage II', 'stage', 'II'],
  ] as const)('"%s" read as %s is %s', (text, axis, expected) => {
    expect(parseStagingText(text, axis)).toBe(expected);
  });

  test.each([
    ['TX', 'T'],
    ['T5', 'T'],
    ['N4', 'N'],
    ['M2', 'M'],
    ['MX', 'M'],
    ['Stage IV', 'stage'],
    ['N2', 'T'],
    ['', 'stage'],
    ['advanced', 'stage'],
  ] as const)('"%s" is not a %s category', (text, axis) => {
    expect(parseStagingText(text, axis)).toBeUndefined();
  });
});
