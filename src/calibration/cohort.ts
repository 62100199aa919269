/**
 * The site cohort CSV (issue 17): RFC 4180 records (quoted fields, "" escapes, CRLF or LF), a header
 * naming at least the required columns, one row per patient. Every bad row is reported with its line
 * and reason; nothing is dropped silently. Pure: text in, rows and problems out.
 */

import { CohortFormatError, REQUIRED_COLUMNS, type BadRow, type CohortRow, type ParsedCohort } from '../core/cohort';

export { CohortFormatError, REQUIRED_COLUMNS, type BadRow, type CohortRow, type ParsedCohort } from '../core/cohort';

/** Splits RFC 4180 text into records, each with the (1-based) line it starts on. */
export function csvRecords(text: string): { line: number; fields: string[] }[] {
  const out: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let start = 1;
  let inQuotes = false;
  let quotedField = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRecord = (): void => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '' && !quotedField)) out.push({ line: start, fields });
    fields = [];
    field = '';
    quotedField = false;
  };
  for (; i < text.length; i++) {
    const c = text[i] as string;
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') {
      inQuotes = true;
      quotedField = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else field += c;
  }
  if (inQuotes) throw new CohortFormatError(`line ${start}: a quoted field is not closed`);
  if (field !== '' || fields.length > 0 || quotedField) endRecord();
  return out;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Parses the cohort CSV. Throws CohortFormatError for a bad header; bad rows are returned, not thrown. */
export function parseCohortCsv(text: string): ParsedCohort {
  const records = csvRecords(text);
  const head = records[0];
  if (head === undefined) throw new CohortFormatError('the file is empty');
  const header = head.fields.map((h) => h.trim().toLowerCase());
  const missing = REQUIRED_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new CohortFormatError(`line ${head.line}: the header lacks ${missing.join(', ')}`);
  const dup = header.find((h, i) => header.indexOf(h) !== i);
  if (dup !== undefined) throw new CohortFormatError(`line ${head.line}: column "${dup}" appears twice`);

  const rows: CohortRow[] = [];
  const badRows: BadRow[] = [];
  const seen = new Map<string, number>();
  for (const rec of records.slice(1)) {
    const bad = (reason: string): void => void badRows.push({ line: rec.line, reason });
    if (rec.fields.length !== header.length) {
      bad(`${rec.fields.length} fields where the header has ${header.length}`);
      continue;
    }
    const get = (col: string): string => (rec.fields[header.indexOf(col)] as string).trim();
    const reasons: string[] = [];
    const num = (col: string, nonNegative: boolean): number | undefined => {
      const s = get(col);
      if (s === '') return undefined;
      const v = Number(s);
      if (!NUMBER.test(s) || !Number.isFinite(v)) reasons.push(`${col} "${s}" is not a number`);
      else if (nonNegative && v < 0) reasons.push(`${col} ${s} is negative`);
      else return v;
      return undefined;
    };
    const patient = get('patient');
    if (patient === '') reasons.push('patient is empty');
    const preTbf = num('pre_tbf', true);
    const postTbf = num('post_tbf', true);
    const skewness = num('skewness', false);
    const glcmVariance = num('glcm_variance', false);
    const glrlmLrhgle = num('glrlm_lrhgle', false);
    const resp = get('response_40gy').toUpperCase();
    if (resp !== '' && resp !== 'PR' && resp !== 'SD') reasons.push(`response_40gy "${get('response_40gy')}" is not PR or SD`);
    const resid = get('residual_1m').toLowerCase();
    if (resid !== '' && resid !== 'yes' && resid !== 'no') reasons.push(`residual_1m "${get('residual_1m')}" is not yes or no`);
    const earlier = seen.get(patient);
    if (patient !== '' && earlier !== undefined) reasons.push(`patient repeats line ${earlier}`);
    if (reasons.length > 0) {
      bad(reasons.join('; '));
      continue;
    }
    seen.set(patient, rec.line);
    const extra: Record<string, string> = {};
    header.forEach((h, i) => {
      if (!(REQUIRED_COLUMNS as readonly string[]).includes(h)) extra[h] = (rec.fields[i] as string).trim();
    });
    rows.push({
      line: rec.line,
      patient,
      ...(preTbf !== undefined && { preTbf }),
      ...(postTbf !== undefined && { postTbf }),
      ...(resp !== '' && { response40Gy: resp as 'PR' | 'SD' }),
      ...(resid !== '' && { residual1m: resid === 'yes' }),
      ...(skewness !== undefined && { skewness }),
      ...(glcmVariance !== undefined && { glcmVariance }),
      ...(glrlmLrhgle !== undefined && { glrlmLrhgle }),
      extra,
    });
  }
  return { header, rows, badRows };
}
