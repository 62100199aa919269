import { readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import {
  CHART_COLOURS,
  CHART_TEXT_COLOURS,
  contrastRatio,
  fhirDay,
  tbfGroups,
  tbfTimeline,
  type TbfPoint,
  type TbfTimelineInput,
  type TbfTimelineModel,
} from '../../src/app/chart';
import { valueScale } from '../../src/app/chart/scales';
import { LIU_2022, LIU_TABLE_4, type TbfThresholdSet } from '../../src/core';

const PARTIALS = path.join(__dirname, '..', '..', 'templates', 'app', 'partials');
const compile = (name: string) => Handlebars.create().compile(readFileSync(path.join(PARTIALS, name), 'utf8'), { strict: true });

/** The Liu 2022 Fig. 4 patient on a synthetic calendar, given out of date order. */
const FIG4_POINTS: readonly TbfPoint[] = [
  { date: '2026-04-03', value: 107.73, reference: 'Observation/post', role: 'post' },
  { date: '2026-02-20T10:00:00+01:00', value: 170.67, reference: 'Observation/pre', role: 'pre' },
  { date: '2026-01-28', value: 160.1, reference: 'Observation/early', role: 'other', preliminary: true },
];
const FIG4: TbfTimelineInput = {
  points: FIG4_POINTS,
  treatmentStart: '2026-03-09',
  fortyGy: '2026-04-03',
  rtEnd: '2026-04-24',
  thresholds: LIU_2022,
};

const xOfDay = (m: TbfTimelineModel, date: string) => {
  const day = fhirDay(date);
  if (day === undefined) throw new Error(`bad date ${date}`);
  return m.plot.left + ((day - m.xDomain.start) / (m.xDomain.end - m.xDomain.start)) * (m.plot.right - m.plot.left);
};

const inPlot = (m: TbfTimelineModel, x: number, y: number) =>
  x >= m.plot.left && x <= m.plot.right && y >= m.plot.top && y <= m.plot.bottom;

describe('contrast ratio (WCAG 2.x relative luminance)', () => {
  test.each([
    ['black on white', '#000000', '#ffffff', 21],
    ['white on black (order does not matter)', '#fff', '#000', 21],
    ['a colour against itself', '#1d4ed8', '#1d4ed8', 1],
    ['WCAG grey #777 on white', '#777777', '#ffffff', 4.48],
  ])('%s gives %d', (_name, a, b, ratio) => {
    expect(contrastRatio(a, b)).toBeCloseTo(ratio, 2);
  });

  test('a string that is not a hex colour is rejected', () => {
    expect(() => contrastRatio('red', '#ffffff')).toThrow('Not a hex colour');
  });
});

describe('the chart palette is readable on white', () => {
  const marks = Object.entries(CHART_COLOURS).filter(([name]) => name !== 'background');

  test('the background is white', () => {
    expect(CHART_COLOURS.background).toBe('#ffffff');
  });

  test.each(marks)('%s (%s) has at least 3:1 contrast against the background (WCAG 1.4.11)', (_name, hex) => {
    expect(contrastRatio(hex, CHART_COLOURS.background)).toBeGreaterThanOrEqual(3);
  });

  test.each(CHART_TEXT_COLOURS.map((name) => [name, CHART_COLOURS[name]]))(
    'text in %s (%s) has at least 4.5:1 contrast against the background (WCAG 1.4.3)',
    (_name, hex) => {
      expect(contrastRatio(hex, CHART_COLOURS.background)).toBeGreaterThanOrEqual(4.5);
    },
  );

  test('every fill and stroke the partials draw comes from the palette', () => {
    const html = compile('tbf-chart.html.hbs')(tbfTimeline(FIG4)) + compile('tbf-groups.html.hbs')(tbfGroups({ preTbf: 170.67 }));
    const used = new Set([...html.matchAll(/(?:fill|stroke)="([^"]*)"/g)].map((m) => m[1]));
    used.delete('none');
    const palette = new Set<string>(Object.values(CHART_COLOURS));
    expect([...used].filter((c) => c !== undefined && !palette.has(c))).toEqual([]);
  });

  test('text labels are coloured only with text-grade colours', () => {
    const m = tbfTimeline(FIG4);
    const textColours = new Set<string>(CHART_TEXT_COLOURS.map((n) => CHART_COLOURS[n]));
    const labels = [...m.pointLabels, ...m.cutoffs.map((c) => c.label), ...m.events.map((e) => e.label), ...m.xTicks.map((t) => t.label)];
    expect(labels.filter((l) => !textColours.has(l.fill))).toEqual([]);
  });
});

describe('value scales (d3 nice ends and ticks)', () => {
  test.each([
    { name: 'the Fig. 4 timeline, 0 to 187.7', low: 0, high: 187.74, ticks: [0, 50, 100, 150, 200] },
    { name: 'values below 1, 0 to 1.1', low: 0, high: 1.1, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1, 1.2] },
    { name: 'a raw step of 22 (20, not 25), 0 to 110', low: 0, high: 110, ticks: [0, 20, 40, 60, 80, 100, 120] },
    { name: 'a negative low end, -43 to 187', low: -43, high: 187, ticks: [-50, 0, 50, 100, 150, 200] },
  ])('$name: the ends are extended to ticks one nice step apart', ({ low, high, ticks }) => {
    const scale = valueScale(low, high, 300, 0, 5);
    expect(scale.ticks).toEqual(ticks);
    expect([scale.min, scale.max]).toEqual([ticks[0], ticks[ticks.length - 1]]);
  });

  test('the low end maps to the first coordinate and the high end to the second', () => {
    const scale = valueScale(0, 97, 328, 18, 5);
    expect([scale.at(scale.min), scale.at((scale.min + scale.max) / 2), scale.at(scale.max)]).toEqual([328, 173, 18]);
  });

  test('every strip and timeline has evenly spaced ticks of 1, 2 or 5 times a power of ten, from end to end', () => {
    const models = [tbfTimeline(FIG4), ...tbfGroups({ preTbf: 400, postTbf: -20, deltaTbf: 55.5 }).strips, ...tbfGroups({}).strips];
    for (const m of models) {
      const values = ('yTicks' in m ? m.yTicks : m.ticks).map((t) => Number(t.label.text));
      const steps = values.slice(1).map((v, i) => v - (values[i] ?? Number.NaN));
      const step = steps[0] ?? Number.NaN;
      for (const s of steps) expect(s).toBeCloseTo(step, 9);
      expect([1, 2, 5]).toContain(Number((step / 10 ** Math.floor(Math.log10(step))).toFixed(9)));
    }
  });
});

describe('the tumor blood flow timeline', () => {
  test('points map inside the plot area, in date order, whatever order they came in', () => {
    const m = tbfTimeline(FIG4);
    expect(m.empty).toBe(false);
    expect(m.points.map((p) => p.reference)).toEqual(['Observation/early', 'Observation/pre', 'Observation/post']);
    for (const p of m.points) expect(inPlot(m, p.x, p.y)).toBe(true);
    const xs = m.points.map((p) => p.x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(new Set(xs).size).toBe(3);
    expect(m.line.points).toBe(m.points.map((p) => `${p.x},${p.y}`).join(' '));
    expect(m.hasLine).toBe(true);
  });

  test('a higher value is drawn higher up (SVG y grows downwards)', () => {
    const m = tbfTimeline(FIG4);
    const y = (ref: string) => m.points.find((p) => p.reference === ref)?.y ?? Number.NaN;
    expect(y('Observation/pre')).toBeLessThan(y('Observation/early'));
    expect(y('Observation/early')).toBeLessThan(y('Observation/post'));
  });

  test.each([
    ['values below every cutoff', [80, 90], 140.87],
    ['a value above every cutoff', [100, 260.5], 260.5],
  ])('with %s, the y domain starts at 0 and includes the highest cutoff and the highest point', (_name, values, highest) => {
    const m = tbfTimeline({
      points: values.map((value, i) => ({ date: `2026-03-0${i + 1}`, value, reference: `Observation/${i}`, role: 'other' })),
      thresholds: LIU_2022,
    });
    expect(m.yDomain.min).toBe(0);
    expect(m.yDomain.max).toBeGreaterThan(highest);
    for (const c of m.cutoffs) expect(inPlot(m, c.x1, c.y1)).toBe(true);
    for (const p of m.points) expect(inPlot(m, p.x, p.y)).toBe(true);
    const top = m.yTicks[m.yTicks.length - 1];
    expect(top?.label.text).toBe(String(m.yDomain.max));
  });

  test('the cutoff lines are the threshold set in use, not the defaults', () => {
    const site: TbfThresholdSet = { ...LIU_2022, id: 'site-a', cutoffs: { ...LIU_2022.cutoffs, 'pre-tbf-response': 300 } };
    const m = tbfTimeline({ ...FIG4, thresholds: site });
    expect(m.yDomain.max).toBeGreaterThan(300);
    expect(m.cutoffs.find((c) => c.rule === 'pre-tbf-response')?.label.text).toBe('Pre-TBF response cutoff 300');
    expect(m.desc).toContain('threshold set site-a');
  });

  test('event lines sit at their dates, and the 40 Gy line passes through the Post-TBF point of that day', () => {
    const m = tbfTimeline(FIG4);
    const dates = { 'treatment-start': '2026-03-09', 'forty-gy': '2026-04-03', 'rt-end': '2026-04-24' } as const;
    expect(m.events.map((e) => e.kind)).toEqual(['treatment-start', 'forty-gy', 'rt-end']);
    for (const e of m.events) {
      expect(e.x1).toBe(e.x2);
      expect(e.x1).toBeCloseTo(xOfDay(m, dates[e.kind]), 1);
      expect(e.y2).toBe(m.plot.bottom);
    }
    const post = m.points.find((p) => p.role === 'post');
    expect(m.events.find((e) => e.kind === 'forty-gy')?.x1).toBe(post?.x);
  });

  test('events outside the measurements\u2019 dates widen the x domain so their lines stay in the plot', () => {
    const m = tbfTimeline({
      points: [{ date: '2026-03-02', value: 150.2, reference: 'Observation/a', role: 'pre' }],
      treatmentStart: '2025-12-01',
      fortyGy: '2025-12-26',
      rtEnd: '2026-06-30',
      thresholds: LIU_2022,
    });
    expect(m.events).toHaveLength(3);
    for (const e of m.events) expect(e.x1 >= m.plot.left && e.x1 <= m.plot.right).toBe(true);
    expect(m.xDomain.start).toBeLessThan(fhirDay('2025-12-01') ?? Number.NaN);
    expect(m.xDomain.end).toBeGreaterThan(fhirDay('2026-06-30') ?? Number.NaN);
  });

  test('every cutoff line and event line has a text label and a dash pattern of its own', () => {
    const m = tbfTimeline(FIG4);
    const lines = [...m.cutoffs, ...m.events];
    expect(lines).toHaveLength(6);
    const dashes = lines.map((l) => l.dasharray);
    expect(new Set(dashes).size).toBe(6);
    for (const d of dashes) expect(d).toMatch(/^\d+( \d+)+$/);
    expect(m.cutoffs.map((c) => c.label.text).sort()).toEqual([
      'Post-TBF response cutoff 87.031',
      'Pre-TBF residual cutoff 140.87',
      'Pre-TBF response cutoff 137.07',
    ]);
    expect(m.events.map((e) => e.label.text)).toEqual(['Treatment start 2026-03-09', '40 Gy 2026-04-03', 'RT end 2026-04-24']);
  });

  test('cutoff labels close together are spread apart so they do not overlap', () => {
    const ys = tbfTimeline(FIG4).cutoffs.map((c) => c.label.y).sort((a, b) => a - b);
    for (let i = 1; i < ys.length; i++) expect((ys[i] ?? 0) - (ys[i - 1] ?? 0)).toBeGreaterThanOrEqual(11);
  });

  test('roles are told apart by shape and by a label next to each used point', () => {
    const m = tbfTimeline(FIG4);
    const byRole = Object.fromEntries(m.points.map((p) => [p.role, p]));
    expect(byRole.pre?.path).toContain('a5 5');
    expect(byRole.post?.path).toMatch(/h9v9h-9Z$/);
    expect(byRole.other?.path).toMatch(/l4\.5 4\.5/);
    expect(byRole.other?.fill).toBe(CHART_COLOURS.background);
    expect(byRole.other?.dasharray).not.toBe('none');
    expect(byRole.pre?.dasharray).toBe('none');
    expect(m.pointLabels.map((l) => l.text)).toEqual(['Pre-TBF 170.67', 'Post-TBF 107.73']);
  });

  test('coordinates are rounded to one decimal', () => {
    const m = tbfTimeline(FIG4);
    const coords = [
      ...m.points.flatMap((p) => [p.x, p.y]),
      ...m.events.flatMap((e) => [e.x1, e.y1, e.label.x]),
      ...m.cutoffs.flatMap((c) => [c.y1, c.label.y]),
      ...m.xTicks.map((t) => t.x1),
      ...m.yTicks.map((t) => t.y1),
    ];
    for (const v of coords) expect(Math.round(v * 10) / 10).toBe(v);
  });

  test('x-axis ticks are few, inside the plot, and labelled as dates', () => {
    const short = tbfTimeline(FIG4);
    const long = tbfTimeline({
      points: [
        { date: '2023-05-10', value: 120, reference: 'Observation/a', role: 'other' },
        { date: '2026-03-02', value: 150.2, reference: 'Observation/b', role: 'pre' },
      ],
      thresholds: LIU_2022,
    });
    for (const m of [short, long]) {
      expect(m.xTicks.length).toBeGreaterThanOrEqual(2);
      expect(m.xTicks.length).toBeLessThanOrEqual(6);
      for (const t of m.xTicks) expect(t.x1 >= m.plot.left && t.x1 <= m.plot.right).toBe(true);
    }
    expect(short.xTicks.map((t) => t.label.text)).toEqual(['Feb 2026', 'Mar 2026', 'Apr 2026']);
    for (const t of long.xTicks) expect(t.label.text).toMatch(/^(\d{4}|[A-Z][a-z]{2} \d{4})$/);
  });

  test.each<[string, TbfTimelineInput]>([
    ['a single point', { points: [{ date: '2026-03-02', value: 110.34, reference: 'Observation/a', role: 'pre' }], thresholds: LIU_2022 }],
    [
      'all points on one date',
      {
        points: [
          { date: '2026-03-02T09:00:00Z', value: 150.2, reference: 'Observation/a', role: 'pre' },
          { date: '2026-03-02T08:00:00Z', value: 140, reference: 'Observation/b', role: 'other' },
        ],
        thresholds: LIU_2022,
      },
    ],
    ['a partial date', { points: [{ date: '2026-03', value: 120, reference: 'Observation/a', role: 'other' }], thresholds: LIU_2022 }],
  ])('with %s and no treatment start, the chart still has an axis and the point inside the plot', (_name, input) => {
    const m = tbfTimeline(input);
    expect(m.empty).toBe(false);
    expect(m.events).toEqual([]);
    expect(m.xDomain.end - m.xDomain.start).toBeGreaterThanOrEqual(14);
    expect(m.xTicks.length).toBeGreaterThanOrEqual(2);
    for (const p of m.points) {
      expect(Number.isFinite(p.x) && Number.isFinite(p.y)).toBe(true);
      expect(inPlot(m, p.x, p.y)).toBe(true);
    }
    expect(m.desc).toContain('No treatment start is recorded.');
  });

  test('two measurements of the same day are ordered by their time', () => {
    const m = tbfTimeline({
      points: [
        { date: '2026-03-02T09:00:00Z', value: 150.2, reference: 'Observation/later', role: 'pre' },
        { date: '2026-03-02T08:00:00Z', value: 140, reference: 'Observation/earlier', role: 'other' },
      ],
      thresholds: LIU_2022,
    });
    expect(m.rows.map((r) => r.reference)).toEqual(['Observation/earlier', 'Observation/later']);
  });

  test('no points gives an empty chart with a message', () => {
    const m = tbfTimeline({ points: [], treatmentStart: '2026-03-09', thresholds: LIU_2022 });
    expect(m.empty).toBe(true);
    expect(m.hasRows).toBe(false);
    expect(m.points).toEqual([]);
    expect(m.emptyText).toBe('No tumor blood flow measurements recorded.');
  });

  test('a measurement without a readable date is left off the chart but kept in the data table and the description', () => {
    const m = tbfTimeline({
      points: [
        { date: '2026-02-30', value: 150.2, reference: 'Observation/bad', role: 'other' },
        { date: '2026-03-02', value: 140, reference: 'Observation/good', role: 'pre' },
      ],
      thresholds: LIU_2022,
    });
    expect(m.points.map((p) => p.reference)).toEqual(['Observation/good']);
    expect(m.rows.map((r) => [r.reference, r.status])).toEqual([
      ['Observation/good', 'final or amended'],
      ['Observation/bad', 'final or amended, not on the chart'],
    ]);
    expect(m.desc).toContain('Not on the chart (no readable date or value): 2026-02-30: 150.2');
  });

  test('the description names every point with its date, value and role, the events and the cutoffs', () => {
    const { desc } = tbfTimeline(FIG4);
    for (const part of [
      '2026-01-28: 160.1, not used by a rule, preliminary',
      '2026-02-20: 170.67, used as Pre-TBF',
      '2026-04-03: 107.73, used as Post-TBF (40 Gy)',
      'Treatment start 2026-03-09',
      'Pre-TBF response cutoff 137.07',
      'Post-TBF response cutoff 87.031',
    ]) {
      expect(desc).toContain(part);
    }
  });

  test('element ids come from the prefix, made safe for an id attribute', () => {
    const m = tbfTimeline({ ...FIG4, idPrefix: 'chart "1"' });
    expect([m.idPrefix, m.titleId, m.descId]).toEqual(['chart--1-', 'chart--1--title', 'chart--1--desc']);
    expect(tbfTimeline(FIG4).titleId).not.toBe(tbfGroups({}).titleId);
  });
});

describe('the patient against the Liu 2022 Table 4 groups', () => {
  test.each([
    ['the Fig. 4 patient (Pre-TBF 170.67)', 170.67, 'pr', 'Pre-TBF 170.67 is nearer the PR group mean (155.59 \u00b1 17.26) than the SD group mean (129.87 \u00b1 18.35)'],
    ['the Fig. 3 patient (Pre-TBF 110.34)', 110.34, 'sd', 'Pre-TBF 110.34 is nearer the SD group mean (129.87 \u00b1 18.35) than the PR group mean (155.59 \u00b1 17.26)'],
    ['a value exactly midway', (129.87 + 155.59) / 2, 'equal', 'is equally near the PR group mean'],
  ])('for %s the Pre-TBF sentence names the nearer response group', (_name, preTbf, nearer, phrase) => {
    const pre = tbfGroups({ preTbf }).strips.find((s) => s.measure === 'preTbf');
    expect(pre?.comparisons[0].nearer).toBe(nearer);
    expect(pre?.sentence).toContain(phrase);
    expect(pre?.sentence).not.toMatch(/predict|will /i);
  });

  test('there is one strip per measure, each with the SD, PR, residual and no-residual means of Table 4', () => {
    const m = tbfGroups({ preTbf: 170.67, postTbf: 107.73, deltaTbf: 62.94 });
    expect(m.strips.map((s) => s.measure)).toEqual(['preTbf', 'postTbf', 'deltaTbf']);
    for (const s of m.strips) {
      const t = LIU_TABLE_4[s.measure];
      expect(s.rows.map((r) => [r.group, r.mean, r.sd])).toEqual([
        ['sd', t.sd.mean, t.sd.sd],
        ['pr', t.pr.mean, t.pr.sd],
        ['residual', t.residual.mean, t.residual.sd],
        ['noResidual', t.noResidual.mean, t.noResidual.sd],
      ]);
      for (const r of s.rows) {
        expect(r.whisker.x1).toBeLessThan(r.whisker.x2);
        expect(r.whisker.x1 >= s.axis.x1 && r.whisker.x2 <= s.axis.x2).toBe(true);
        expect(r.value.text).toBe(r.meanSd);
      }
      const marker = s.patient[0];
      expect(marker !== undefined && marker.x1 >= s.axis.x1 && marker.x1 <= s.axis.x2).toBe(true);
    }
  });

  test('the Post-TBF residual comparison says the groups did not differ significantly (p = 0.054)', () => {
    const m = tbfGroups({ postTbf: 107.73 });
    const post = m.strips.find((s) => s.measure === 'postTbf');
    expect(post?.comparisons[1]).toMatchObject({ kind: 'residual', significant: false, p: `p = ${LIU_TABLE_4.postTbf.residualP.value}` });
    expect(post?.comparisons[1].p).toBe('p = 0.054');
    expect(post?.sentence).toContain('did not differ significantly in Post-TBF (Liu 2022 Table 4, p = 0.054)');
    expect(post?.footnote.text).toContain('residual vs no residual p = 0.054 (not significant)');
    const residualRow = m.rows.find((r) => r.measure === 'Post-TBF' && r.group === 'Residual tumor');
    expect(residualRow?.difference).toBe('Residual vs no residual: p = 0.054 (not significant)');
    const pre = m.strips.find((s) => s.measure === 'preTbf');
    expect(pre?.comparisons[1].significant).toBe(true);
    expect(pre?.footnote.text).not.toContain('not significant');
  });

  test('a missing value shows "not available", no marker and no comparison', () => {
    const m = tbfGroups({ preTbf: 110.34 });
    const post = m.strips.find((s) => s.measure === 'postTbf');
    expect(post?.available).toBe(false);
    expect(post?.valueText).toBe('not available');
    expect(post?.patient).toEqual([]);
    expect(post?.patientLabel.text).toBe('This patient: Post-TBF not available');
    expect(post?.comparisons.map((c) => c.nearer)).toEqual([undefined, undefined]);
    expect(post?.sentence).toBe("Post-TBF: the patient's value is not available.");
  });

  test('a value far outside the groups widens that strip\u2019s scale to include it', () => {
    const strip = tbfGroups({ deltaTbf: -40 }).strips.find((s) => s.measure === 'deltaTbf');
    const marker = strip?.patient[0];
    expect(marker?.x1).toBeGreaterThanOrEqual(strip?.axis.x1 ?? Number.POSITIVE_INFINITY);
    expect(strip?.ticks[0]?.label.text).toMatch(/^-\d+/);
  });

  test('the description carries the note that this is not a prediction, and every sentence', () => {
    const m = tbfGroups({ preTbf: 170.67 });
    expect(m.desc).toContain('it is not a prediction');
    for (const s of m.strips) expect(m.desc).toContain(s.sentence);
  });
});

describe('the chart partials', () => {
  const chart = compile('tbf-chart.html.hbs');
  const groups = compile('tbf-groups.html.hbs');
  const hostile: TbfTimelineInput = {
    ...FIG4,
    points: [...FIG4_POINTS, { date: '2026-02-01', value: 150, reference: 'Observation/<script>alert(1)</script>', role: 'other' }],
  };

  test('the timeline renders as a labelled SVG with its title, description, labels and a data table', () => {
    const model = tbfTimeline(hostile);
    const html = chart(model);
    expect(html).toContain('<svg');
    expect(html).toContain(`role="img" aria-labelledby="${model.titleId}" aria-describedby="${model.descId}"`);
    expect(html).toContain(`<title id="${model.titleId}">Tumor blood flow over time</title>`);
    expect(html).toContain(`<desc id="${model.descId}">`);
    for (const label of ['Pre-TBF 170.67', 'Post-TBF 107.73', 'Pre-TBF response cutoff 137.07', 'Post-TBF response cutoff 87.031', 'RT end 2026-04-24', 'Feb 2026']) {
      expect(html).toContain(label);
    }
    expect(html).toContain('stroke-dasharray="6 3 2 3 2 3"');
    expect(html).toContain('<details class="tbf-chart__table">');
    expect(html).toContain('<summary>Data table</summary>');
    expect((html.match(/<tr><td>/g) ?? []).length).toBe(4);
  });

  test('a reference with markup is escaped, never rendered as a tag', () => {
    const html = chart(tbfTimeline(hostile));
    expect(html).not.toContain('<script>');
    expect(html).toContain('Observation/&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  test('an empty timeline renders a paragraph and no SVG', () => {
    const html = chart(tbfTimeline({ points: [], thresholds: LIU_2022 }));
    expect(html).not.toContain('<svg');
    expect(html).toContain('<p class="tbf-chart__empty">No tumor blood flow measurements recorded.</p>');
    expect(html).not.toContain('<details');
  });

  test('the groups render as a labelled SVG with whiskers, the patient marker and the sentences as a list', () => {
    const model = tbfGroups({ preTbf: 170.67, postTbf: 107.73, deltaTbf: 62.94 });
    const html = groups(model);
    expect(html).toContain('<svg');
    expect(html).toContain(`<title id="${model.titleId}">`);
    for (const label of ['SD at 40 Gy (n = 19)', '155.59 ± 17.26', 'This patient 170.67', 'p = 0.054 (not significant)']) {
      expect(html).toContain(Handlebars.escapeExpression(label));
    }
    expect((html.match(/class="tbf-groups__patient-mark"/g) ?? []).length).toBe(3);
    for (const s of model.strips) expect(html).toContain(`<li>${Handlebars.escapeExpression(s.sentence)}</li>`);
    expect(html).toContain('<summary>Data table</summary>');
  });

  test('the groups render with missing values too (strict mode finds every field)', () => {
    const html = groups(tbfGroups({}));
    expect(html).toContain('This patient: Pre-TBF not available');
    expect(html).not.toContain('tbf-groups__patient-mark');
  });

  test('the ids of the two charts on one page differ', () => {
    const html = chart(tbfTimeline(FIG4)) + groups(tbfGroups({}));
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
