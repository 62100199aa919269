/** A paper as it is cited on the cards and in the app: authors, title, journal, year, volume and article. */
import { CITATIONS, type PaperId } from '../core';

/** "Dong D, Zhang F, … . Title. BMC Med 2019;17:190." (the DOI follows, as a link on a card). */
export function citationText(paper: PaperId): string {
  const c = CITATIONS[paper];
  return `${c.authors}. ${c.title}. ${c.journal} ${c.year};${c.volume}:${c.article}.`;
}
