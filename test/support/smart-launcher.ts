/** The SMART launch stand-in lives in src/demo (the embedded demo serves it too); tests import it from here. */
export * from '../../src/demo/smart-launcher';
