/**
 * Card text from `templates/cards`: handlebars templates compiled once at start-up, in strict mode (a
 * missing field throws instead of rendering empty), without HTML escaping because the view models
 * hold Markdown that is already escaped (see markdown.ts). Templates receive ready view models and hold
 * no logic beyond iteration.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { PROJECT_ROOT } from '../paths';
import { plain } from './markdown';

export const TEMPLATES_DIR = path.join(PROJECT_ROOT, 'templates', 'cards');

type Render = (viewModel: object) => string;

export class CardTemplates {
  private constructor(
    private readonly details: ReadonlyMap<string, Render>,
    private readonly summaries: ReadonlyMap<string, Render>,
  ) {}

  /** Reads and compiles every template under `dir` (details `<kind>.md.hbs`, partials, summaries). */
  static load(dir: string = TEMPLATES_DIR): CardTemplates {
    const hbs = Handlebars.create();
    const options = { strict: true, noEscape: true } as const;
    const partialsDir = path.join(dir, 'partials');
    for (const file of readdirSync(partialsDir).filter((f) => f.endsWith('.md.hbs'))) {
      hbs.registerPartial(file.replace(/\.md\.hbs$/, ''), hbs.compile(readFileSync(path.join(partialsDir, file), 'utf8'), options));
    }
    const compileAll = (folder: string, suffix: string) => {
      const out = new Map<string, Render>();
      for (const file of readdirSync(folder).filter((f) => f.endsWith(suffix))) {
        const source = readFileSync(path.join(folder, file), 'utf8');
        // handlebars compiles lazily; precompiling parses now, so a broken template fails at start-up.
        hbs.precompile(source, options);
        out.set(file.slice(0, -suffix.length), hbs.compile(source, options));
      }
      return out;
    };
    return new CardTemplates(compileAll(dir, '.md.hbs'), compileAll(path.join(dir, 'summary'), '.hbs'));
  }

  /** The Markdown detail of a card kind. */
  detail(kind: string, viewModel: object): string {
    return this.get(this.details, kind)(viewModel).replace(/\n{3,}/g, '\n\n').trim();
  }

  /** The plain-text summary of a card kind and variant ("treatment-selection.ict-ccrt"). */
  summary(name: string, viewModel: object): string {
    return plain(this.get(this.summaries, name)(viewModel));
  }

  private get(map: ReadonlyMap<string, Render>, name: string): Render {
    const render = map.get(name);
    if (render === undefined) throw new Error(`No card template "${name}"`);
    return render;
  }
}
