/** What a patient banner shows, read from the Patient resource (SMART `need_patient_banner`). */
import type { Patient } from 'fhir/r4';

export interface PatientBannerFacts {
  /** The official name (else the first), as text or given names and family; undefined when none is recorded. */
  readonly name?: string | undefined;
  readonly gender?: string | undefined;
  readonly birthDate?: string | undefined;
  /** The medical record number (identifier of type MR), else the first identifier. */
  readonly mrn?: string | undefined;
}

function nameOf(patient: Patient | undefined): string | undefined {
  const name = patient?.name?.find((n) => n.use === 'official') ?? patient?.name?.[0];
  if (name === undefined) return undefined;
  if (name.text !== undefined && name.text.trim() !== '') return name.text;
  const parts = [...(name.given ?? []), name.family ?? ''].filter((p) => p.trim() !== '');
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** The banner's facts of `patient` (absent: nothing recorded). */
export function patientBannerFacts(patient: Patient | undefined): PatientBannerFacts {
  return {
    name: nameOf(patient),
    gender: patient?.gender,
    birthDate: patient?.birthDate,
    mrn: patient?.identifier?.find((i) => i.type?.coding?.some((c) => c.code === 'MR'))?.value ?? patient?.identifier?.[0]?.value,
  };
}
