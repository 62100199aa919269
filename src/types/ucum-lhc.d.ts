/** The part of @lhncbc/ucum-lhc (which ships no types) that this project uses. */
declare module '@lhncbc/ucum-lhc' {
  /** A parsed unit; `convertFrom` is what `convertUnitTo` runs for a conversion without molecular weight or charge. */
  interface Unit {
    convertFrom(value: number, from: Unit): number;
  }
  interface ConversionResult {
    status: 'succeeded' | 'failed' | 'error';
    toVal: number | null;
    msg: string[];
    /** Set when the conversion succeeded. */
    fromUnit?: Unit;
    toUnit?: Unit;
  }
  interface ValidationResult {
    status: 'valid' | 'invalid' | 'error';
    ucumCode: string | null;
    msg: string[];
  }
  interface UcumUtils {
    validateUnitString(unit: string): ValidationResult;
    convertUnitTo(fromUnit: string, fromValue: number, toUnit: string): ConversionResult;
  }
  export const UcumLhcUtils: { getInstance(): UcumUtils };
}
