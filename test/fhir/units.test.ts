import { UcumLhcUtils } from '@lhncbc/ucum-lhc';
import { snapDecimal } from '../../src/core';
import { convertQuantity, TARGET_UNITS } from '../../src/fhir/units';

const UCUM = 'http://unitsofmeasure.org';
const q = (value: number, code?: string, extra: Record<string, unknown> = {}) => ({
  value,
  ...(code !== undefined ? { system: UCUM, code } : {}),
  ...extra,
});

describe('unit conversion with UCUM (clinical-spec.md sections 3 and 4)', () => {
  test.each([
    { label: 'TBF in mL/(100.g)/min is used as is', q: q(150.2, 'mL/(100.g)/min'), kind: 'tbf', value: 150.2, converted: false },
    { label: 'TBF in mL/g/s is multiplied by 6000 (Liu 2022 Eq. 2)', q: q(0.025, 'mL/g/s'), kind: 'tbf', value: 150, converted: true },
    { label: 'TBF in mL/min/(100.g) is the same unit written another way', q: q(140, 'mL/min/(100.g)'), kind: 'tbf', value: 140, converted: true },
    { label: 'a volume in cm3 is the same number of mL', q: q(40, 'cm3'), kind: 'volume', value: 40, converted: true },
    { label: 'a volume in mL is used as is', q: q(33.5, 'mL'), kind: 'volume', value: 33.5, converted: false },
    { label: 'a diameter in cm is converted to mm', q: q(3.784, 'cm'), kind: 'diameter', value: 37.84, converted: true },
    { label: 'EBV DNA in {copies}/mL is used as is', q: q(2500, '{copies}/mL'), kind: 'ebv', value: 2500, converted: false },
    { label: 'EBV DNA in thousands of copies per mL is converted', q: q(2.5, '10*3{copies}/mL'), kind: 'ebv', value: 2500, converted: true },
    { label: 'EBV DNA with the unit text "copies/mL" and no code is accepted', q: { value: 800, unit: 'copies/mL' }, kind: 'ebv', value: 800, converted: false },
    { label: 'a dimensionless score with unit 1 is used as is', q: q(-0.25, '1'), kind: 'score', value: -0.25, converted: false },
    { label: 'a dimensionless score without a unit is used as is', q: { value: 0.4 }, kind: 'score', value: 0.4, converted: false },
  ] as const)('$label', ({ q: quantity, kind, value, converted }) => {
    const result = convertQuantity(quantity, kind);
    expect(result).toMatchObject({ ok: true, value });
    if (result.ok) expect(result.convertedFrom !== undefined).toBe(converted);
  });

  test.each([
    { label: 'the text "mL/100g/min" is not valid UCUM and is not guessed', q: q(150, 'mL/100g/min'), kind: 'tbf', problem: 'unit-invalid' },
    { label: 'a TBF in mmol/L cannot be converted', q: q(150, 'mmol/L'), kind: 'tbf', problem: 'unit-not-convertible' },
    { label: 'a TBF without a unit is unusable', q: { value: 150 }, kind: 'tbf', problem: 'unit-missing' },
    { label: 'EBV DNA in IU/mL is not comparable with copies/mL', q: q(5000, '[IU]/mL'), kind: 'ebv', problem: 'unit-international-units' },
    { label: 'EBV DNA as text "IU/mL" is not comparable either', q: { value: 5000, unit: 'IU/mL' }, kind: 'ebv', problem: 'unit-international-units' },
    { label: 'EBV DNA on a log scale is not comparable', q: q(3.7, 'log{copies}/mL'), kind: 'ebv', problem: 'unit-log-scale' },
    { label: 'EBV DNA per mL without the copies annotation is a mismatched unit', q: q(5000, '/mL'), kind: 'ebv', problem: 'unit-not-convertible' },
    { label: 'a volume in mm is not a volume', q: q(40, 'mm'), kind: 'volume', problem: 'unit-not-convertible' },
    { label: 'a quantity without a number is unusable', q: { unit: 'mL' }, kind: 'volume', problem: 'value-missing' },
    { label: 'a score with a unit is not a score', q: q(0.4, 'mL'), kind: 'score', problem: 'unit-not-convertible' },
  ] as const)('$label', ({ q: quantity, kind, problem }) => {
    expect(convertQuantity(quantity as never, kind)).toMatchObject({ ok: false, problem });
  });

  test('a comparator is carried through conversion ("<500 copies/mL")', () => {
    expect(convertQuantity(q(500, '{copies}/mL', { comparator: '<' }), 'ebv')).toMatchObject({ ok: true, value: 500, comparator: '<' });
  });

  test('a unit coded in another system is read from its display text', () => {
    expect(convertQuantity({ value: 40, system: 'http://example.org/units', code: 'ML', unit: 'mL' }, 'volume')).toMatchObject({
      ok: true,
      value: 40,
    });
  });

  // The parsed units of a pair are kept after its first conversion: every later value must still be what the
  // library itself answers, and a pair it cannot convert must stay unconvertible.
  test.each([
    { unit: 'mL/g/s', kind: 'tbf' },
    { unit: 'mL/min/(100.g)', kind: 'tbf' },
    { unit: 'cm', kind: 'diameter' },
    { unit: 'cGy', kind: 'dose' },
    { unit: '10*3{copies}/mL', kind: 'ebv' },
  ] as const)('every value in $unit converts as the library converts it, the first time and after', ({ unit, kind }) => {
    const library = UcumLhcUtils.getInstance();
    for (const value of [0.025, 1, 3.784, 150.2, 2.5e-7, 123456.789, 0]) {
      const expected = library.convertUnitTo(unit, value, TARGET_UNITS[kind]).toVal as number;
      expect(convertQuantity(q(value, unit), kind)).toMatchObject({ ok: true, value: snapDecimal(expected), convertedFrom: unit });
    }
  });

  test('a pair the library cannot convert stays unconvertible for every value', () => {
    for (const value of [150, 1, 0]) expect(convertQuantity(q(value, 'mmol/L'), 'tbf')).toMatchObject({ ok: false, problem: 'unit-not-convertible' });
  });
});
