/** The part of @lhncbc/ucum-lhc (which ships no types) that this project uses. */
declare module '@lhncbc/ucum-lhc' {
  interface ConversionResult {
    status: 'succeeded' | 'failed' | 'error';
    toVal: number | null;
    msg: string[];
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
