/* html — a run as one self-contained web page, RUN_DIR/index.html, to open
 * in any browser or project in class: the lesson verdicts first, then the
 * machine and its preflight, the source's figures beside this machine's, the
 * comparison with a baseline, and per experiment every chart (the SVGs
 * inlined), its speedups with their intervals and its Amdahl fit.  No
 * script, no network, no external font: the file is the whole page.
 *
 *   conclab-results html RUN_DIR [EXPERIMENT...]
 *
 * reads RUN_DIR/meta.json and summary.json (both needed), and where present
 * book.md, compare.txt and each experiment's folder; EXPERIMENT names the
 * sections in their order (default: the experiments of summary.json), so an
 * experiment that failed before it was timed still gets its section.
 * Exit 0 with the page written, 2 on a bad command line or an unreadable
 * run, 1 when the page cannot be written.
 */
#ifndef CONCLAB_HTML_H
#define CONCLAB_HTML_H

#include <stdio.h>

/* Writes TEXT to OUT with the five characters that HTML gives a meaning
 * (& < > " ') as character references: safe in text and in quoted
 * attribute values alike. */
void html_escape(FILE *out, const char *text);

/* conclab-results html ...: ARGV holds the words after "html". */
int html_command(int argc, char **argv);

#endif
