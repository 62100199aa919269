/**
 * Reads AJCC staging written as text or as cancerstaging.org codes: "T4", "cT4", "ypT3", "N3b", "cM0",
 * "Stage IVA", "stage 3". Returns the category the core uses, or undefined when the text is not one.
 */
import type { MCategory, NCategory, StageGroup, TCategory } from '../core';

export type StagingAxis = 'T' | 'N' | 'M' | 'stage';

const ARABIC_STAGE: Readonly<Record<string, StageGroup>> = { '1': 'I', '2': 'II', '3': 'III', '4A': 'IVA', '4B': 'IVB', '4C': 'IVC' };
const ROMAN_STAGES: readonly StageGroup[] = ['I', 'II', 'III', 'IVA', 'IVB', 'IVC'];

/** Parses one staging value; sub-categories fold into their category (N3a, N3b → N3; M1a → M1). */
export function parseStagingText(text: string, axis: 'T'): TCategory | undefined;
export function parseStagingText(text: string, axis: 'N'): NCategory | undefined;
export function parseStagingText(text: string, axis: 'M'): MCategory | undefined;
export function parseStagingText(text: string, axis: 'stage'): StageGroup | undefined;
export function parseStagingText(text: string, axis: StagingAxis): string | undefined;
export function parseStagingText(text: string, axis: StagingAxis): string | undefined {
  const s = text.replace(/\bAJCC\b|\bUICC\b|\b[78](th)?\s*ed(ition)?\.?/gi, '').replace(/\s+/g, '').toUpperCase();
  if (axis === 'stage') {
    const v = s.replace(/^(CLINICAL)?(STAGE|GROUP)+/, '').replace(/^[CP]/, '');
    if ((ROMAN_STAGES as readonly string[]).includes(v)) return v;
    return ARABIC_STAGE[v];
  }
  const match = new RegExp(`^(?:Y?[CP])?${axis}([0-4])[A-D]?$`).exec(s);
  if (match === null) return undefined;
  const digit = Number(match[1]);
  if (axis === 'M') return digit <= 1 ? `M${digit}` : undefined;
  if (axis === 'N') return digit <= 3 ? `N${digit}` : undefined;
  return `T${digit}`;
}
