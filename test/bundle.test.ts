import { BUNDLE_BUDGETS, budgetOverruns, checkBudgets } from '../src/bundle';

const KIB = 1024;
const BUDGETS = { 'launch.js': 120 * KIB, 'main.js': 450 * KIB };

describe('the bundle size budget (src/bundle.ts)', () => {
  test.each([
    { name: 'scripts just below their budgets pass', outputs: { 'launch.js': 120 * KIB - 1, 'main.js': 450 * KIB - 1 }, overruns: [] },
    { name: 'a script exactly at its budget passes', outputs: { 'launch.js': 120 * KIB, 'main.js': 1 }, overruns: [] },
    {
      name: 'a script one byte over its budget is named with its size and its budget',
      outputs: { 'launch.js': 120 * KIB + 1, 'main.js': 1 },
      overruns: ['launch.js is 120.0 KiB (122881 bytes), over its budget of 120.0 KiB (122880 bytes).'],
    },
    {
      name: 'every script over its budget is named',
      outputs: { 'launch.js': 547 * KIB, 'main.js': 959 * KIB },
      overruns: ['launch.js is 547.0 KiB (560128 bytes), over its budget of 120.0 KiB (122880 bytes).', 'main.js is 959.0 KiB (982016 bytes), over its budget of 450.0 KiB (460800 bytes).'],
    },
    { name: 'a script without a budget is refused', outputs: { 'extra.js': 10 }, overruns: ['extra.js is 0.0 KiB (10 bytes) and has no size budget in src/bundle.ts.'] },
    { name: 'source maps and legal notices are not scripts and have no budget', outputs: { 'main.js.map': 5000 * KIB, 'main.js.LEGAL.txt': 1 }, overruns: [] },
  ])('$name', ({ outputs, overruns }) => {
    expect(budgetOverruns(outputs, BUDGETS)).toEqual(overruns);
  });

  test('the build check throws with every overrun and where to look, and passes quietly within budget', () => {
    expect(() => checkBudgets({ 'launch.js': 200 * KIB, 'main.js': 500 * KIB }, BUDGETS)).toThrow(
      /^Bundle size budget exceeded: launch\.js is 200\.0 KiB .* main\.js is 500\.0 KiB .*0006-smart-app\.md/,
    );
    expect(() => checkBudgets({ 'launch.js': 100 * KIB, 'main.js': 400 * KIB }, BUDGETS)).not.toThrow();
  });

  test('the SMART app must stay under 120 KiB for the launch page and 450 KiB for the main page', () => {
    expect(BUNDLE_BUDGETS).toMatchObject(BUDGETS);
  });
});
