/**
 * The app's templates (templates/app), precompiled at bundle time with strict mode and HTML escaping.
 * Typed by the view model each one renders.
 */
import Handlebars from 'handlebars/runtime';
import capture from '../../../templates/app/capture.html.hbs';
import page from '../../../templates/app/page.html.hbs';
import tbfChart from '../../../templates/app/partials/tbf-chart.html.hbs';
import tbfGroups from '../../../templates/app/partials/tbf-groups.html.hbs';
import type { CaptureModel } from '../capture-view';
import type { PageModel } from '../view-model';

Handlebars.registerPartial('tbf-chart', tbfChart);
Handlebars.registerPartial('tbf-groups', tbfGroups);

export const renderPage = (model: PageModel): string => page(model);
export const renderCapture = (model: CaptureModel): string => capture(model);
