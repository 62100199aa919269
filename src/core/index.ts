/** The clinical core: pure rules, equations, thresholds and evidence. No I/O, no clock, no framework. */
export * from './types';
export * from './thresholds';
export * from './evidence';
export * from './staging';
export * from './population';
export * from './tbf';
export * from './ictos';
export * from './risk';
export * from './recommendation';
export * from './equations';
export * from './assess';
export * from './order-check';
export * from './needs';
export * from './cards-apply';
export * from './evidence-text';
