/** Templates of templates/app, precompiled by the bundler (src/bundle.ts) into template functions. */
declare module '*.hbs' {
  const template: (context: unknown) => string;
  export default template;
}
