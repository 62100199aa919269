/** The card envelope every card builder uses: the context a card is built from, the formatting of the evidence registry, the source, SMART app link and findings of a card, and the citation lines. */
import { CITATIONS, populationDoubts, intervalText, type Assessment, type PopulationDoubt, type ThresholdSets } from '../../core';
import type { ExtractKey, Extraction } from '../../fhir/extract';
import { citationText } from '../../explain/citation';
import { POPULATION_DOUBT_TEXT, populationLines } from '../../explain/labels';
import { FINDINGS_EXTENSION, type Card, type Finding } from '../card-schema';
import { link, text, trusted, type Md } from '../markdown';
import type { ThresholdProfile } from '../../site-profiles';
import type { CardTemplates } from '../templates';
import { CARD_TOPICS, type CardKind } from '../vocabulary';

export interface CardContext {
  readonly serviceId: string;
  readonly patientId: string;
  readonly extraction: Extraction;
  readonly assessment: Assessment;
  readonly thresholds: ThresholdSets;
  /** The threshold profile (issue 17): a site set's calibration is shown on the TBF card; absent = the default. */
  readonly profile?: ThresholdProfile | undefined;
  readonly templates: CardTemplates;
  /** The SMART app's launch URL; without it cards carry no app link. */
  readonly smartAppUrl?: string | undefined;
  readonly newUuid: () => string;
}

export interface BuiltCard {
  readonly kind: CardKind;
  readonly card: Card;
}

// ---- formatting of the evidence registry ------------------------------------------------------------

export const ci = intervalText;

export const ICTOS_KEYS: readonly ExtractKey[] = ['ictos', 'skewness-z', 'glcm-variance-z', 'glrlm-lrhgle-z', 'skewness', 'glcm-variance', 'glrlm-lrhgle'];
export const STAGING_KEYS: readonly ExtractKey[] = ['t-category', 'n-category', 'm-category', 'stage-group'];
export const RISK_KEYS: readonly ExtractKey[] = ['tumor-volume', 'ebv-dna'];
export const TBF_KEYS: readonly ExtractKey[] = ['pre-tbf', 'post-tbf', 'treatment-start', 'mptd-pre', 'mptd-post'];

export function populationSection(ctx: CardContext): Md[] {
  return populationLines(ctx.assessment, ctx.extraction).map((l) => text(l, 500));
}

/** The population doubts, each a quoted caveat at the top of the detail. */
export function caveats(ctx: CardContext): Md[] {
  return populationDoubts(ctx.assessment.population).map((d) => trusted(POPULATION_DOUBT_TEXT[d].long));
}

/** CDS Hooks 2.0 asks for a card summary under 140 characters. */
export const SUMMARY_MAX = 139;

/**
 * The summary with the population doubts appended ("; stage not recorded"): the caveat belongs in the
 * summary, not only in the detail (clinical-spec.md sections 2 and 6, v2). Shortened to fit 140 characters.
 */
export function withCaveat(render: (caveat: string) => string, doubts: readonly PopulationDoubt[]): string {
  if (doubts.length === 0) return render('');
  const full = render(`; ${doubts.map((d) => POPULATION_DOUBT_TEXT[d].short).join(', ')}`);
  if (full.length <= SUMMARY_MAX) return full;
  const first = render(`; ${POPULATION_DOUBT_TEXT[doubts[0] as PopulationDoubt].short} (and more)`);
  return first.length <= SUMMARY_MAX ? first : render('; see caveats');
}

/** What every card needs, whatever data it was built from. */
export type CardBase = Pick<CardContext, 'serviceId' | 'smartAppUrl' | 'newUuid'>;

function smartLinks(ctx: CardBase, kind: CardKind, findings: readonly Finding[]): NonNullable<Card['links']> {
  if (ctx.smartAppUrl === undefined) return [];
  const appContext = JSON.stringify({ card: kind, service: ctx.serviceId, rules: [...new Set(findings.map((f) => f.rule))] });
  return [{ label: 'Open NPC-CDS for the full picture', url: ctx.smartAppUrl, type: 'smart', appContext }];
}

export const TRIAL_LINK = { label: 'Trial NCT01245959 (ICTOS validation cohort)', url: 'https://clinicaltrials.gov/study/NCT01245959', type: 'absolute' } as const;

export function card(
  ctx: CardBase,
  kind: CardKind,
  parts: Omit<Card, 'uuid' | 'source' | 'extension' | 'links'> & { paper?: 'liu-2022' | 'dong-2019'; extraLinks?: NonNullable<Card['links']> },
  findings: Finding[],
): BuiltCard {
  const { paper, extraLinks, ...rest } = parts;
  const source: Card['source'] =
    paper === undefined
      ? { label: 'NPC-CDS (Liu 2022; Dong 2019)', topic: CARD_TOPICS[kind] }
      : { label: `NPC-CDS \u00b7 ${CITATIONS[paper].short}`, url: CITATIONS[paper].url, topic: CARD_TOPICS[kind] };
  const links = [...smartLinks(ctx, kind, findings), ...(extraLinks ?? [])];
  return {
    kind,
    card: {
      uuid: ctx.newUuid(),
      ...rest,
      source,
      ...(links.length > 0 ? { links } : {}),
      extension: { [FINDINGS_EXTENSION]: findings },
    },
  };
}

export const citation = (paper: 'liu-2022' | 'dong-2019'): Md => {
  const c = CITATIONS[paper];
  return trusted(`${text(citationText(paper), 400)} ${link(`doi ${c.doi}`, c.url)}`);
};
