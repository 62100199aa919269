import type { InputId } from '../core';

/** What is extracted: the core's input ids, the raw features, and the tumor diameters for the atrophy rate. */
export type ExtractKey = InputId | 'skewness' | 'glcm-variance' | 'glrlm-lrhgle' | 'mptd-pre' | 'mptd-post';
