/** ICTOS in words (Dong 2019): the formula, this patient's score, its contributions and normalization. */
import { decimalText, ICTOS_FEATURES, scoreText, type IctosResult, type IctosThresholdSet } from '../core';
import { INPUT_LABELS } from './labels';
import { EN } from './en';
import type { Messages } from './messages';
import type { Phrase } from './phrase';

/** "ICTOS = −0.668 × skewness − 0.442 × GLCM variance + 0.41 × GLRLM LRHGLE, on …". */
export function ictosFormula(set: IctosThresholdSet, m: Messages = EN): Phrase {
  const terms = ICTOS_FEATURES.map((f, i) => {
    const c = set.coefficients[f];
    const sign = c < 0 ? '\u2212' : i === 0 ? '' : '+';
    return `${sign}${i === 0 ? '' : ' '}${decimalText(Math.abs(c))} \u00d7 ${m.ictos.feature[f]}`;
  });
  return m.ictos.formula(terms.join(' '), decimalText(set.cutoff), set.id);
}

/** This patient's ICTOS: the score, its source and its class, or what it lacks. */
export function ictosResult(ictos: IctosResult, m: Messages = EN): Phrase {
  if (ictos.kind === 'insufficient-data') return m.ictos.notComputable(ictos.missing.map((i) => INPUT_LABELS[i]));
  return m.ictos.result(scoreText(ictos.score), ictos.source, ictos.kind);
}

/** The contributions line and, for raw features, the normalization line (empty when the score was recorded). */
export function ictosDetailLines(ictos: IctosResult, normalizationName: string | undefined, m: Messages = EN): Phrase[] {
  if (ictos.kind === 'insufficient-data' || ictos.features === undefined) return [];
  const features = ictos.features;
  const lines: Phrase[] = [
    [
      m.ictos.contributions(
        ICTOS_FEATURES.map((f) => ({
          feature: m.ictos.feature[f],
          z: decimalText(features[f].z),
          coefficient: decimalText(features[f].coefficient),
          contribution: decimalText(features[f].contribution),
        })),
      ),
    ],
  ];
  if (ictos.source === 'raw-features') {
    const parts = ICTOS_FEATURES.flatMap((f) => {
      const raw = features[f].raw;
      return raw === undefined ? [] : [{ feature: m.ictos.feature[f], mean: decimalText(raw.mean), sd: decimalText(raw.sd) }];
    });
    lines.push(m.ictos.normalization(normalizationName ?? 'the site\u2019s set', parts));
  }
  return lines;
}
