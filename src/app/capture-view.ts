/**
 * The capture forms as a view model for templates/app/capture.html.hbs: every field with all the
 * attributes the template prints (strict templates need every key), today's date as the date inputs'
 * maximum, and whether the launch may write Observations at all. DOM-free.
 */
import { ASL_DEFAULTS } from '../core';
import { CAPTURE_FIELDS, type CaptureField, type CaptureForm } from './capture';

export interface CaptureFieldModel {
  readonly name: string;
  readonly id: string;
  readonly helpId: string;
  readonly errorId: string;
  readonly label: string;
  readonly type: string;
  readonly decimal: boolean;
  readonly required: boolean;
  readonly isDate: boolean;
  readonly min: string;
  readonly max: string;
  readonly help: string;
}

export interface CaptureFormModel {
  readonly id: string;
  readonly kind: 'tbf' | 'radiomics' | 'volume';
  readonly title: string;
  readonly headingId: string;
  readonly fieldsets: readonly { readonly legend: string; readonly help: string; readonly hasHelp: boolean; readonly fields: readonly CaptureFieldModel[] }[];
  readonly constants: readonly { readonly name: string; readonly value: string }[];
  readonly hasConstants: boolean;
  readonly hasPreview: boolean;
  readonly submit: string;
}

export interface CaptureModel {
  readonly canWrite: boolean;
  readonly writeNote: string;
  readonly forms: readonly CaptureFormModel[];
}

/**
 * Whether granted scopes allow creating Observations for the patient: SMART v1 `patient/Observation.write`
 * (or `.*`, `patient/*.write`), or SMART v2 permissions that include `c` (`patient/Observation.c`,
 * `.cruds`); `user/` scopes likewise.
 */
export function canCreateObservations(grantedScope: string): boolean {
  return grantedScope.split(/\s+/).some((scope) => {
    const m = /^(patient|user)\/(Observation|\*)\.([a-z*]+)(\?.*)?$/.exec(scope);
    if (m === null) return false;
    const permission = m[3] ?? '';
    return permission === 'write' || permission === '*' || (/^c?r?u?d?s?$/.test(permission) && permission.includes('c'));
  });
}

const KIND: Readonly<Record<string, CaptureFormModel['kind']>> = { tbf: 'tbf', radiomics: 'radiomics', volume: 'volume' };

function fieldModel(f: CaptureField, today: string): CaptureFieldModel {
  return {
    name: f.name,
    id: f.id,
    helpId: f.helpId,
    errorId: f.errorId,
    label: f.label,
    type: f.type,
    decimal: f.inputmode === 'decimal',
    required: f.required,
    isDate: f.type === 'date',
    min: f.min ?? '',
    max: f.type === 'date' ? today : '',
    help: f.help,
  };
}

function formModel(key: string, form: CaptureForm, today: string): CaptureFormModel {
  const kind = KIND[key] ?? 'volume';
  const c = ASL_DEFAULTS;
  const constants =
    kind === 'tbf'
      ? [
          { name: 'λ, tissue/blood partition coefficient', value: `${c.partitionCoefficient} mL/g (ASL consensus; not given by Liu 2022)` },
          { name: 'α, labeling efficiency', value: `${c.labelingEfficiency} (Liu 2022)` },
          { name: 'T1 of blood', value: `${c.t1BloodS} s (Liu 2022)` },
          { name: 'PLD, post-labeling delay', value: `${c.postLabelingDelayS} s (Liu 2022)` },
          { name: 'τ, label duration', value: `${c.labelDurationS} s (ASL consensus; not given by Liu 2022)` },
        ]
      : [];
  return {
    id: form.id,
    kind,
    title: form.title,
    headingId: `${form.id}-heading`,
    fieldsets: form.fieldsets.map((fs) => ({
      legend: fs.legend,
      help: fs.help ?? '',
      hasHelp: fs.help !== undefined,
      fields: fs.fields.map((f) => fieldModel(f, today)),
    })),
    constants,
    hasConstants: constants.length > 0,
    hasPreview: kind !== 'volume',
    submit: { tbf: 'Save tumor blood flow', radiomics: 'Save features and ICTOS', volume: 'Save tumor volume' }[kind],
  };
}

export function captureModel(grantedScope: string, today: string): CaptureModel {
  const canWrite = canCreateObservations(grantedScope);
  return {
    canWrite,
    writeNote: canWrite
      ? ''
      : 'This launch was not granted permission to create Observations (for example patient/Observation.c or patient/Observation.write): the forms are shown but cannot be saved. Ask the EHR team to grant the scope.',
    forms: Object.entries(CAPTURE_FIELDS).map(([key, form]) => formModel(key, form, today)),
  };
}
