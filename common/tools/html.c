/* conclab-results html — a run as one self-contained web page (html.h).
 *
 * Everything a run wrote that a person reads goes on the page, in the order
 * a class reads it: did the run show the lessons (and if not, why), on what
 * machine, the source's figures beside this machine's, the comparison with a
 * baseline, then each experiment's charts and speedups.  Every text taken
 * from a file is escaped (html_escape); the charts are gnuplot's own SVG,
 * inlined with their ids made unique on the page, and refused if they hold
 * a script.
 */
#define _GNU_SOURCE /* strcasestr */
#include "html.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fail.h"
#include "json_file.h"

enum { PATH_SIZE = 4096 };

struct page {
    FILE *out;
    const char *run_dir;
    const cJSON *meta, *summary;
    int charts; /* inlined so far: the prefix that keeps their ids apart */
};

void html_escape(FILE *out, const char *text)
{
    for (; *text; text++) {
        switch (*text) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*text, out);
        }
    }
}

/* ---- reading -------------------------------------------------------------- */

/* The whole of PATH as a string to free; NULL when it does not exist.  Any
 * other failure to read it ends the program, naming the file. */
static char *read_text(const char *path)
{
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        if (errno == ENOENT || errno == ENOTDIR)
            return NULL;
        fail_sys(path);
    }
    char *text = NULL;
    size_t size = 0;
    FILE *buffer = open_memstream(&text, &size);
    if (buffer == NULL)
        fail_sys("open_memstream");
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, file)) > 0)
        fwrite(chunk, 1, got, buffer);
    bool read_error = ferror(file);
    fclose(file);
    if (fclose(buffer) != 0)
        fail_sys("open_memstream");
    if (read_error)
        fail_wrong("%s: read error", path);
    return text;
}

static void run_path(const struct page *page, char *path, const char *a, const char *b)
{
    int n = snprintf(path, PATH_SIZE, "%s/%s%s%s", page->run_dir, a, b ? "/" : "", b ? b : "");
    if (n < 0 || n >= PATH_SIZE)
        fail_usage("%s: path too long", page->run_dir);
}

/* ---- numbers -------------------------------------------------------------- */

/* A whole number in full, anything else to three significant digits. */
static void print_number(FILE *out, double value)
{
    if (isfinite(value) && value == floor(value) && fabs(value) <= 0x1p53)
        fprintf(out, "%lld", (long long)value);
    else
        fprintf(out, "%.3g", value);
}

/* Seconds as a person says them: milliseconds below one second. */
static void print_seconds(FILE *out, double seconds)
{
    if (seconds < 1)
        fprintf(out, "%.3g ms", seconds * 1000);
    else
        fprintf(out, "%.3g s", seconds);
}

/* ---- the page's frame ----------------------------------------------------- */

static const char STYLE[] =
    "body{font-family:system-ui,'DejaVu Sans',sans-serif;max-width:1100px;margin:0 auto;"
    "padding:1rem 2rem;color:#1b1b1b;line-height:1.45;font-size:17px}"
    "h1{margin-bottom:.2rem}h2{border-bottom:2px solid #3b6ea5;padding-bottom:.2rem;"
    "margin-top:2.5rem}nav{display:flex;flex-wrap:wrap;gap:.2rem 1rem}"
    "table{border-collapse:collapse;margin:.6rem 0 1rem}"
    "th,td{border:1px solid #c8c8c8;padding:.25rem .6rem;text-align:left;vertical-align:top}"
    "th{background:#eef2f7}td.must{white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".shown{background:#dff3e3;color:#14532d;font-weight:bold}"
    ".not-shown{background:#fde2e1;color:#7f1d1d;font-weight:bold}"
    ".not-judged{background:#efefef;color:#444;font-weight:bold}"
    ".warning{background:#fff4d6;border-left:6px solid #e0a100;padding:.5rem 1rem}"
    ".failed{background:#fde2e1;border-left:6px solid #b91c1c;padding:.5rem 1rem}"
    "figure{margin:1rem 0}figure svg{width:100%;height:auto;max-width:900px;display:block}"
    "figcaption{color:#444;font-size:.95rem}pre{background:#f6f6f6;padding:.6rem;overflow-x:auto}"
    ".means{color:#444;font-size:.95rem}";

static void write_head(struct page *page, const char *run_name)
{
    FILE *out = page->out;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>conclab run ",
          out);
    html_escape(out, run_name);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>conclab run ", STYLE);
    html_escape(out, run_name);
    fputs("</h1>\n<p>", out);
    html_escape(out, json_text(page->meta, "size"));
    fputs(" size, ", out);
    print_number(out, json_number(page->meta, "runs", 0));
    fputs(" runs per variant, ", out);
    html_escape(out, json_text(page->meta, "date"));
    fputs(". Speedup = median time of the baseline variant (the first of its language) / "
          "median time of the variant, both from this run; intervals: ",
          out);
    html_escape(out, json_text(page->summary, "ci_method"));
    fputs(".</p>\n", out);
}

/* ---- lesson verdicts ------------------------------------------------------ */

static void print_interval(FILE *out, const cJSON *verdict)
{
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(verdict, "min");
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(verdict, "max");
    const cJSON *ideal = cJSON_GetObjectItemCaseSensitive(verdict, "ideal");
    if (cJSON_IsNumber(min) && cJSON_IsNumber(max)) {
        print_number(out, min->valuedouble);
        fputs(" – ", out);
        print_number(out, max->valuedouble);
    } else if (cJSON_IsNumber(min)) {
        fputs("≥ ", out);
        print_number(out, min->valuedouble);
    } else if (cJSON_IsNumber(max)) {
        fputs("≤ ", out);
        print_number(out, max->valuedouble);
    }
    if (cJSON_IsNumber(ideal)) {
        fputs(" (ideal ", out);
        print_number(out, ideal->valuedouble);
        fputs(")", out);
    }
}

static void write_verdict(FILE *out, const char *experiment, const cJSON *verdict)
{
    const cJSON *shown = cJSON_GetObjectItemCaseSensitive(verdict, "shown");
    const char *class = cJSON_IsTrue(shown) ? "shown" : cJSON_IsFalse(shown) ? "not-shown"
                                                                             : "not-judged";
    const char *word = cJSON_IsTrue(shown) ? "shown" : cJSON_IsFalse(shown) ? "NOT shown"
                                                                            : "not judged";
    fputs("<tr class=\"lesson\"><td><a href=\"#experiment-", out);
    html_escape(out, experiment);
    fputs("\">", out);
    html_escape(out, experiment);
    fprintf(out, "</a></td><td class=\"%s\">%s</td><td>", class, word);
    html_escape(out, json_text(verdict, "name"));
    fputs("<div class=\"means\">", out);
    html_escape(out, json_text(verdict, "means"));
    fputs("</div></td><td>", out);
    html_escape(out, json_text(verdict, "text"));
    fputs("</td><td class=\"must\">", out);
    print_interval(out, verdict);
    fputs("</td><td>", out);
    html_escape(out, json_text(verdict, "why"));
    fputs("</td></tr>\n", out);
}

/* Counts the verdicts of LESSONS by kind: [shown, not shown, not judged]. */
static void count_verdicts(const cJSON *lessons, int counts[3])
{
    const cJSON *experiment, *verdict;
    cJSON_ArrayForEach(experiment, lessons)
    {
        cJSON_ArrayForEach(verdict, experiment)
        {
            const cJSON *shown = cJSON_GetObjectItemCaseSensitive(verdict, "shown");
            counts[cJSON_IsTrue(shown) ? 0 : cJSON_IsFalse(shown) ? 1 : 2]++;
        }
    }
}

/* True when the preflight found the machine too busy or too small for the
 * lessons to show. */
static bool machine_unfit(const cJSON *preflight)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(preflight, "busy")) ||
           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(preflight, "too_few_cores"));
}

/* Above the verdicts, the reason many of them may fail: the machine. */
static void write_busy_warning(struct page *page)
{
    const cJSON *preflight = cJSON_GetObjectItemCaseSensitive(page->meta, "preflight");
    if (!machine_unfit(preflight))
        return;
    fputs("<p class=\"warning\">Before timing, the machine was not quiet: ", page->out);
    html_escape(page->out, json_text(preflight, "summary"));
    fputs(" (<a href=\"#preflight\">preflight</a>). Lessons may not show.</p>\n", page->out);
}

static void write_lessons(struct page *page)
{
    FILE *out = page->out;
    const cJSON *lessons = cJSON_GetObjectItemCaseSensitive(page->summary, "lessons");
    int counts[3] = {0, 0, 0};
    count_verdicts(lessons, counts);
    fputs("<section id=\"lessons\">\n<h2>Did the run show the lessons?</h2>\n", out);
    if (counts[0] + counts[1] + counts[2] == 0) {
        fputs("<p>This run's summary holds no lesson verdicts.</p>\n</section>\n", out);
        return;
    }
    write_busy_warning(page);
    fprintf(out, "<p>%d shown, %d not shown, %d not judged.", counts[0], counts[1], counts[2]);
    if (counts[1] > 0)
        fputs(" A lesson not shown is a warning, not a failure: its row says why (often a busy "
              "machine or too few cores); rerun on a quiet machine.",
              out);
    fputs("</p>\n<table id=\"lesson-verdicts\">\n<thead><tr><th>experiment</th><th>verdict</th>"
          "<th>lesson</th><th>this run</th><th>must be</th><th>why</th></tr></thead>\n<tbody>\n",
          out);
    const cJSON *experiment, *verdict;
    cJSON_ArrayForEach(experiment, lessons)
    {
        cJSON_ArrayForEach(verdict, experiment) write_verdict(out, experiment->string, verdict);
    }
    fputs("</tbody>\n</table>\n</section>\n", out);
}

/* ---- machine and preflight ------------------------------------------------ */

static void write_value(FILE *out, const cJSON *item);

/* An array: its items joined by commas, or a table when they are objects
 * (the busiest programs of the preflight). */
static void write_array(FILE *out, const cJSON *array)
{
    const cJSON *first = cJSON_GetArrayItem(array, 0), *item, *field;
    if (!cJSON_IsObject(first)) {
        cJSON_ArrayForEach(item, array)
        {
            if (item != first)
                fputs(", ", out);
            write_value(out, item);
        }
        return;
    }
    fputs("<table><tr>", out);
    cJSON_ArrayForEach(field, first)
    {
        fputs("<th>", out);
        html_escape(out, field->string);
        fputs("</th>", out);
    }
    fputs("</tr>\n", out);
    cJSON_ArrayForEach(item, array)
    {
        fputs("<tr>", out);
        cJSON_ArrayForEach(field, first)
        {
            fputs("<td>", out);
            write_value(out, cJSON_GetObjectItemCaseSensitive(item, field->string));
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</table>", out);
}

static void write_value(FILE *out, const cJSON *item)
{
    if (cJSON_IsString(item))
        html_escape(out, item->valuestring);
    else if (cJSON_IsNumber(item))
        print_number(out, item->valuedouble);
    else if (cJSON_IsBool(item))
        fputs(cJSON_IsTrue(item) ? "yes" : "no", out);
    else if (cJSON_IsArray(item))
        write_array(out, item);
    else if (cJSON_IsObject(item)) {
        char *text = cJSON_PrintUnformatted(item);
        if (text == NULL)
            fail_wrong("out of memory");
        html_escape(out, text);
        cJSON_free(text);
    } else
        fputs("–", out); /* null, or absent */
}

/* One table row per field of OBJECT but SKIP, nested objects flattened as
 * a.b (the compiler's id, version and flags). */
static void write_fields(FILE *out, const cJSON *object, const char *prefix, const char *skip)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, object)
    {
        if (skip != NULL && strcmp(item->string, skip) == 0)
            continue;
        char name[256];
        snprintf(name, sizeof name, "%s%s", prefix, item->string);
        if (cJSON_IsObject(item)) {
            char nested[260];
            snprintf(nested, sizeof nested, "%s.", name);
            write_fields(out, item, nested, NULL);
            continue;
        }
        fputs("<tr><th>", out);
        html_escape(out, name);
        fputs("</th><td>", out);
        write_value(out, item);
        fputs("</td></tr>\n", out);
    }
}

static void write_machine(struct page *page)
{
    FILE *out = page->out;
    const cJSON *preflight = cJSON_GetObjectItemCaseSensitive(page->meta, "preflight");
    fputs("<section id=\"machine\">\n<h2>The machine</h2>\n<table>\n", out);
    write_fields(out, page->meta, "", "preflight");
    fputs("</table>\n", out);
    if (cJSON_IsObject(preflight)) {
        /* Its summary in a sentence, marked when the machine was too busy or
         * too small for the lessons to show. */
        bool warn = machine_unfit(preflight);
        fputs("<h3 id=\"preflight\">Before timing: how busy was it?</h3>\n", out);
        fprintf(out, "<p%s>", warn ? " class=\"warning\"" : "");
        html_escape(out, *json_text(preflight, "summary") ? json_text(preflight, "summary")
                                                           : "(no summary recorded)");
        if (warn)
            fputs(" — lessons may not show.", out);
        fputs("</p>\n<table>\n", out);
        write_fields(out, preflight, "", "summary");
        fputs("</table>\n", out);
    } else {
        fputs("<p>No preflight was recorded for this run.</p>\n", out);
    }
    fputs("</section>\n", out);
}

/* ---- book.md: the source beside this machine ------------------------------ */

/* Writes one Markdown table row ("| a | b |") as <tr>, cells as CELL. */
static void write_row(FILE *out, char *line, const char *cell)
{
    fputs("<tr>", out);
    char *rest = line + 1, *bar;
    while ((bar = strchr(rest, '|')) != NULL) {
        *bar = '\0';
        char *start = rest, *end = bar;
        while (*start == ' ')
            start++;
        while (end > start && end[-1] == ' ')
            *--end = '\0';
        fprintf(out, "<%s>", cell);
        html_escape(out, start);
        fprintf(out, "</%s>", cell);
        rest = bar + 1;
    }
    fputs("</tr>\n", out);
}

/* TEXT with Markdown's *emphasis* as <em>: a star with its partner later on
 * the line opens a span, that partner closes it; a lone star stays a star. */
static void write_inline(FILE *out, const char *text)
{
    const char *star;
    while ((star = strchr(text, '*')) != NULL) {
        const char *end = strchr(star + 1, '*');
        char *before = strndup(text, (size_t)((end != NULL ? star : star + 1) - text));
        if (before == NULL)
            fail_wrong("out of memory");
        html_escape(out, before);
        free(before);
        if (end == NULL) {
            text = star + 1;
            continue;
        }
        char *emphasis = strndup(star + 1, (size_t)(end - star - 1));
        if (emphasis == NULL)
            fail_wrong("out of memory");
        fputs("<em>", out);
        html_escape(out, emphasis);
        fputs("</em>", out);
        free(emphasis);
        text = end + 1;
    }
    html_escape(out, text);
}

/* A line of book.md outside a table: a heading or a paragraph. */
static void write_book_line(FILE *out, const char *line)
{
    bool heading = strncmp(line, "### ", 4) == 0;
    fputs(heading ? "<h3>" : "<p>", out);
    write_inline(out, heading ? line + 4 : line);
    fputs(heading ? "</h3>\n" : "</p>\n", out);
}

/* book.md as run_all.sh writes it: "### experiment" headings, paragraphs,
 * and Markdown tables whose first row is the header. */
static void write_book(struct page *page)
{
    FILE *out = page->out;
    char path[PATH_SIZE];
    run_path(page, path, "book.md", NULL);
    char *book = read_text(path);
    if (book == NULL)
        return;
    fputs("<section id=\"source\">\n<h2>The source beside this machine</h2>\n", out);
    bool in_table = false;
    for (char *line = strtok(book, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        bool row = line[0] == '|';
        if (in_table && !row)
            fputs("</table>\n", out);
        if (row && !in_table)
            fputs("<table class=\"book\">\n", out);
        if (!row)
            write_book_line(out, line);
        else if (strncmp(line, "|---", 4) != 0) /* not the line under the header */
            write_row(out, line, in_table ? "td" : "th");
        in_table = row;
    }
    if (in_table)
        fputs("</table>\n", out);
    fputs("</section>\n", out);
    free(book);
}

static void write_compare(struct page *page)
{
    char path[PATH_SIZE];
    run_path(page, path, "compare.txt", NULL);
    char *compare = read_text(path);
    if (compare == NULL)
        return;
    fputs("<section id=\"compare\">\n<h2>Against the baseline</h2>\n<pre>", page->out);
    html_escape(page->out, compare);
    fputs("</pre>\n</section>\n", page->out);
    free(compare);
}

/* steps.txt: the steps in the history, this run included (run_all.sh
 * writes it only when there is one). */
static void write_steps(struct page *page)
{
    char path[PATH_SIZE];
    run_path(page, path, "steps.txt", NULL);
    char *steps = read_text(path);
    if (steps == NULL)
        return;
    fputs("<section id=\"steps\">\n<h2>Steps in the history</h2>\n<pre>", page->out);
    html_escape(page->out, steps);
    fputs("</pre>\n</section>\n", page->out);
    free(steps);
}

/* ---- charts --------------------------------------------------------------- */

/* Copies gnuplot's SVG from its <svg> tag on, with every id, and every
 * reference to one, given PREFIX: the charts share one page, and gnuplot
 * names the same shapes the same way in each. */
static void write_svg_body(FILE *out, const char *svg, const char *prefix)
{
    static const char *const refs[] = {" id='", " id=\"", "href='#", "href=\"#", "url(#"};
    bool in_tag = false;
    for (const char *p = svg; *p; p++) {
        fputc(*p, out);
        if (*p == '<' || *p == '>') {
            in_tag = *p == '<';
            continue;
        }
        if (!in_tag)
            continue;
        for (size_t i = 0; i < sizeof refs / sizeof *refs; i++) {
            size_t length = strlen(refs[i]);
            if (strncmp(p, refs[i], length) == 0) {
                fwrite(p + 1, 1, length - 1, out);
                fputs(prefix, out);
                p += length - 1;
                break;
            }
        }
    }
}

static void write_chart(struct page *page, const char *experiment, const char *file,
                        const char *caption)
{
    FILE *out = page->out;
    char path[PATH_SIZE];
    run_path(page, path, experiment, file);
    char *svg = read_text(path);
    if (svg == NULL)
        return;
    fputs("<figure class=\"chart\" data-chart=\"", out);
    html_escape(out, file);
    fputs("\">\n", out);
    const char *start = strstr(svg, "<svg");
    if (start == NULL || strcasestr(start, "<script") != NULL ||
        strcasestr(start, "<foreignObject") != NULL) {
        fputs("<p class=\"failed\">This chart is not gnuplot's plain SVG (no &lt;svg&gt;, or a "
              "script in it): not inlined.</p>\n",
              out);
    } else {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "chart%d-", ++page->charts);
        write_svg_body(out, start, prefix);
    }
    fputs("<figcaption>", out);
    html_escape(out, caption);
    fputs(" (<a href=\"", out);
    html_escape(out, experiment);
    fputc('/', out);
    html_escape(out, file);
    fputs("\">SVG</a>)</figcaption>\n</figure>\n", out);
    free(svg);
}

/* Where FILE stands among EXPERIMENT's charts: time, speedup, sweep, spread, size sweep, trend,
 * then any other; its caption in CAPTION. */
static int chart_rank(const char *experiment, const char *file, const char **caption)
{
    static const struct {
        const char *suffix, *caption;
    } kinds[] = {
        {".svg", "Time per variant: the median of the runs, the bar from the fastest to the "
                 "slowest"},
        {"-speedup.svg", "Speedup of each variant over its baseline, with its 95 % interval, "
                         "the lesson's interval and ideal, and the source's figure"},
        {"-sweep.svg", "Speedup against the number of workers, threads and processes, past "
                       "the cores, with the ideal and Amdahl's law fitted up to the cores"},
        {"-spread.svg", "How evenly the workers shared the work: each worker's share, least "
                        "to most; a flat line is an even share"},
        {"-size-sweep.svg", "Time against the size of the work: where each variant starts to "
                            "pay off"},
        {"-trend.svg", "Speedup over the runs on this machine at this size, this run last"},
    };
    size_t length = strlen(experiment);
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        if (strncmp(file, experiment, length) == 0 && strcmp(file + length, kinds[i].suffix) == 0) {
            *caption = kinds[i].caption;
            return (int)i;
        }
    }
    *caption = "Chart";
    return (int)(sizeof kinds / sizeof *kinds);
}

static const char *sorting_experiment;

static int by_rank(const struct dirent **a, const struct dirent **b)
{
    const char *unused;
    int ra = chart_rank(sorting_experiment, (*a)->d_name, &unused);
    int rb = chart_rank(sorting_experiment, (*b)->d_name, &unused);
    return ra != rb ? ra - rb : strcmp((*a)->d_name, (*b)->d_name);
}

static int is_svg(const struct dirent *entry)
{
    size_t length = strlen(entry->d_name);
    return entry->d_name[0] != '.' && length > 4 && strcmp(entry->d_name + length - 4, ".svg") == 0;
}

static void write_charts(struct page *page, const char *experiment)
{
    char path[PATH_SIZE];
    run_path(page, path, experiment, NULL);
    struct dirent **entries;
    sorting_experiment = experiment;
    int n = scandir(path, &entries, is_svg, by_rank);
    if (n < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return;
        fail_sys(path);
    }
    for (int i = 0; i < n; i++) {
        const char *caption;
        chart_rank(experiment, entries[i]->d_name, &caption);
        write_chart(page, experiment, entries[i]->d_name, caption);
        free(entries[i]);
    }
    free(entries);
}

/* ---- one experiment ------------------------------------------------------- */

static void write_speedups(FILE *out, const cJSON *variants)
{
    fputs("<table class=\"speedups\">\n<thead><tr><th>variant</th><th>median</th>"
          "<th>speedup</th><th>95 % interval</th><th>over</th><th>runs</th></tr></thead>\n"
          "<tbody>\n",
          out);
    const cJSON *variant;
    cJSON_ArrayForEach(variant, variants)
    {
        fputs("<tr><td>", out);
        html_escape(out, variant->string);
        fputs("</td><td class=\"n\">", out);
        print_seconds(out, json_number(variant, "median_s", NAN));
        fprintf(out, "</td><td class=\"n\">%.2f×</td><td class=\"n\">%.2f – %.2f</td><td>",
                json_number(variant, "speedup", NAN), json_number(variant, "speedup_low", NAN),
                json_number(variant, "speedup_high", NAN));
        html_escape(out, json_text(variant, "baseline"));
        fputs("</td><td class=\"n\">", out);
        print_number(out, json_number(variant, "runs", NAN));
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
}

static void write_amdahl_fit(struct page *page, const char *experiment)
{
    char path[PATH_SIZE];
    run_path(page, path, experiment, "amdahl-fit.txt");
    char *fit = read_text(path);
    if (fit == NULL)
        return;
    fit[strcspn(fit, "\n")] = '\0';
    fputs("<p>Serial fraction fitted to the sweep (Amdahl): ", page->out);
    html_escape(page->out, fit);
    fputs("</p>\n", page->out);
    free(fit);
}

/* size-crossover.txt: one line per variant, where its speedup crosses 1. */
static void write_crossover(struct page *page, const char *experiment)
{
    char path[PATH_SIZE];
    run_path(page, path, experiment, "size-crossover.txt");
    char *crossover = read_text(path);
    if (crossover == NULL)
        return;
    fputs("<ul class=\"crossover\">\n", page->out);
    for (char *line = strtok(crossover, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        fputs("<li>", page->out);
        html_escape(page->out, line);
        fputs("</li>\n", page->out);
    }
    fputs("</ul>\n", page->out);
    free(crossover);
}

static void write_experiment(struct page *page, const char *experiment)
{
    FILE *out = page->out;
    const cJSON *variants = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(page->summary, "experiments"), experiment);
    fputs("<section class=\"experiment\" id=\"experiment-", out);
    html_escape(out, experiment);
    fputs("\">\n<h2>", out);
    html_escape(out, experiment);
    fputs("</h2>\n", out);
    if (!cJSON_IsObject(variants)) {
        fputs("<p class=\"failed\">Failed before it was timed: see <code>", out);
        html_escape(out, experiment);
        fputs("/verify-*</code> in the run folder.</p>\n", out);
    }
    write_charts(page, experiment);
    if (cJSON_IsObject(variants))
        write_speedups(out, variants);
    write_amdahl_fit(page, experiment);
    write_crossover(page, experiment);
    fputs("</section>\n", out);
}

/* ---- the page ------------------------------------------------------------- */

static void write_nav(struct page *page, char **experiments, int count)
{
    FILE *out = page->out;
    fputs("<nav><a href=\"#lessons\">lessons</a><a href=\"#machine\">machine</a>", out);
    char path[PATH_SIZE];
    run_path(page, path, "book.md", NULL);
    if (access(path, F_OK) == 0)
        fputs("<a href=\"#source\">source</a>", out);
    run_path(page, path, "compare.txt", NULL);
    if (access(path, F_OK) == 0)
        fputs("<a href=\"#compare\">baseline</a>", out);
    run_path(page, path, "steps.txt", NULL);
    if (access(path, F_OK) == 0)
        fputs("<a href=\"#steps\">steps</a>", out);
    for (int i = 0; i < count; i++) {
        fputs("<a href=\"#experiment-", out);
        html_escape(out, experiments[i]);
        fputs("\">", out);
        html_escape(out, experiments[i]);
        fputs("</a>", out);
    }
    fputs("</nav>\n", out);
}

static void write_page(struct page *page, const char *run_name, char **experiments, int count)
{
    write_head(page, run_name);
    write_nav(page, experiments, count);
    write_lessons(page);
    write_machine(page);
    write_book(page);
    write_compare(page);
    write_steps(page);
    for (int i = 0; i < count; i++)
        write_experiment(page, experiments[i]);
    fputs("</body>\n</html>\n", page->out);
}

/* The run's name: its folder's, without the ".partial" it has while it runs. */
static void run_name_of(const char *run_dir, char *name, size_t size)
{
    size_t length = strlen(run_dir);
    while (length > 1 && run_dir[length - 1] == '/')
        length--;
    size_t start = length;
    while (start > 0 && run_dir[start - 1] != '/')
        start--;
    snprintf(name, size, "%.*s", (int)(length - start), run_dir + start);
    length = strlen(name);
    if (length > 8 && strcmp(name + length - 8, ".partial") == 0)
        name[length - 8] = '\0';
}

/* The experiments of summary.json, in its order, when none are named. */
static char **summary_experiments(const cJSON *summary, int *count)
{
    const cJSON *experiments = cJSON_GetObjectItemCaseSensitive(summary, "experiments");
    *count = cJSON_GetArraySize(experiments);
    char **names = calloc((size_t)*count + 1, sizeof *names);
    if (names == NULL)
        fail_wrong("out of memory");
    int i = 0;
    const cJSON *experiment;
    cJSON_ArrayForEach(experiment, experiments) names[i++] = experiment->string;
    return names;
}

int html_command(int argc, char **argv)
{
    if (argc < 1 || argv[0][0] == '\0')
        fail_usage("usage: conclab-results html RUN_DIR [EXPERIMENT...]");
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '\0' || strchr(argv[i], '/') != NULL || argv[i][0] == '.')
            fail_usage("html: '%s' is not an experiment's name", argv[i]);
    struct page page = {.run_dir = argv[0]};
    char path[PATH_SIZE], temporary[PATH_SIZE + 8], run_name[256];
    run_path(&page, path, "meta.json", NULL);
    cJSON *meta = json_read(path, false);
    run_path(&page, path, "summary.json", NULL);
    cJSON *summary = json_read(path, false);
    page.meta = meta;
    page.summary = summary;
    int count = argc - 1;
    char **experiments = count > 0 ? NULL : summary_experiments(summary, &count);
    run_name_of(argv[0], run_name, sizeof run_name);

    run_path(&page, path, "index.html", NULL);
    snprintf(temporary, sizeof temporary, "%s.new", path);
    page.out = fopen(temporary, "w");
    if (page.out == NULL)
        fail_sys(temporary);
    write_page(&page, run_name, experiments != NULL ? experiments : argv + 1, count);
    bool ok = !ferror(page.out);
    ok &= fclose(page.out) == 0;
    if (!ok || rename(temporary, path) != 0) {
        int error = errno;
        remove(temporary);
        errno = error;
        fail_sys(ok ? "rename" : temporary);
    }
    free(experiments);
    cJSON_Delete(meta);
    cJSON_Delete(summary);
    return EXIT_RIGHT;
}
