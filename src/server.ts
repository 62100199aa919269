/**
 * Entry point of `npm start`. The CDS Hooks service arrives with its own issue; until then this says so
 * and exits cleanly, after checking that the clinical core loads.
 */
import { DEFAULT_THRESHOLDS } from './core';

const { tbf, ictos } = DEFAULT_THRESHOLDS;
process.stdout.write(
  `npc-cds: clinical core loaded (threshold sets ${tbf.id} v${tbf.version}, ${ictos.id} v${ictos.version}).\n` +
    'The CDS Hooks service arrives with the CDS Hooks issue; nothing is listening yet.\n',
);
