/** The in-process FHIR R4 server lives in src/demo (the embedded demo serves it too); tests import it from here. */
export * from '../../src/demo/fhir-server';
