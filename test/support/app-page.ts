/**
 * The SMART app's page template compiled in Node as the bundler compiles it (strict mode, HTML escaping),
 * with its partials, for tests that render a view model.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';

const TEMPLATES = path.resolve(__dirname, '../../templates/app');
const hbs = Handlebars.create();
/** Compiles one file of templates/app. */
export const compileAppTemplate = (file: string) => hbs.compile(readFileSync(path.join(TEMPLATES, file), 'utf8'), { strict: true });
hbs.registerPartial('tbf-chart', compileAppTemplate('partials/tbf-chart.html.hbs'));
hbs.registerPartial('tbf-groups', compileAppTemplate('partials/tbf-groups.html.hbs'));
/** templates/app/page.html.hbs. */
export const appPage = compileAppTemplate('page.html.hbs');
