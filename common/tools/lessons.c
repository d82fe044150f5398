/* lessons — the verdict on each experiment's lessons in a run (see lessons.h).
 *
 *   conclab-results lessons RUN_DIR [EXPERIMENT]
 *       prints one line per lesson of EXPERIMENT (or of every experiment,
 *       then a tally); exits 1 when a lesson due at this size was not shown
 *       or could not be judged, 0 otherwise, 2 on bad input.
 *   conclab-results lessons --check LESSONS_JSON...
 *       checks that each file declares well-formed lessons; exit 2 if not.
 *
 * Why a lesson was not shown is read from the machine's state: the preflight
 * in meta.json (load average, cores other programs used before the run, CPU
 * steal) and RUN_DIR/EXPERIMENT/load.json (cores other programs used while
 * the experiment ran).
 */
#include "lessons.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fail.h"
#include "json_file.h"
#include "stats.h"

/* Other programs using half a core or more, or a tenth of the time stolen by
 * the hypervisor, is a busy machine: a 2-core lesson may not show. */
static const double BUSY_CORES = 0.5;
static const double BUSY_STEAL_PERCENT = 10;

static const char *const SIZES[] = {"quick", "book", "large"};

/* ---- what a run holds ----------------------------------------------------- */

/* The state of the machine while an experiment ran, from the preflight and
 * from the experiment's load.json; negative: not recorded. */
struct machine {
    double cores;
    double load;          /* 1-minute load average before the run */
    double others_before; /* cores other programs used before the run */
    double others_during; /* ... and while the experiment ran */
    double steal;         /* percent of the time, the most seen */
    char top[160];        /* the programs that used the CPU before the run */
};

struct experiment {
    const char *dir; /* RUN_DIR/EXPERIMENT */
    const char *size;
    struct machine machine;
    cJSON *hyperfine;        /* NULL: not timed */
    char hyperfine_why[512]; /* why it is NULL */
};

static double larger(double a, double b) { return a > b ? a : b; }

static void read_top(const cJSON *preflight, char *out, size_t size)
{
    out[0] = '\0';
    size_t used = 0;
    const cJSON *process;
    cJSON_ArrayForEach(process, cJSON_GetObjectItemCaseSensitive(preflight, "top"))
    {
        int n = snprintf(out + used, size - used, "%s%s %.0f%%", used ? ", " : "",
                         json_text(process, "command"), json_number(process, "cpu_percent", 0));
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
}

static struct machine read_machine(const cJSON *meta, const char *dir)
{
    const cJSON *preflight = cJSON_GetObjectItemCaseSensitive(meta, "preflight");
    const cJSON *load = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(preflight, "load_average"), 0);
    struct machine machine = {
        .cores = json_number(meta, "cores", -1),
        .load = cJSON_IsNumber(load) ? load->valuedouble : -1,
        .others_before = json_number(preflight, "others_busy_cores", -1),
        .steal = json_number(preflight, "steal_percent", -1),
    };
    read_top(preflight, machine.top, sizeof machine.top);
    char path[4096 + 16], why[4096 + 64];
    snprintf(path, sizeof path, "%s/load.json", dir);
    cJSON *during = json_try_read(path, why, sizeof why);
    machine.others_during = json_number(during, "others_busy_cores", -1);
    machine.steal = larger(machine.steal, json_number(during, "steal_percent", -1));
    cJSON_Delete(during);
    return machine;
}

static bool machine_busy(const struct machine *machine)
{
    return larger(machine->others_before, machine->others_during) >= BUSY_CORES ||
           machine->steal >= BUSY_STEAL_PERCENT;
}

/* The median of VARIANT's runs in the experiment's hyperfine export; NAN
 * when it was not timed. */
static double median_of(const struct experiment *experiment, const char *variant)
{
    const cJSON *result;
    cJSON_ArrayForEach(result, cJSON_GetObjectItemCaseSensitive(experiment->hyperfine, "results"))
    {
        if (strcmp(json_text(result, "command"), variant) != 0)
            continue;
        const cJSON *times = cJSON_GetObjectItemCaseSensitive(result, "times"), *time;
        int n = cJSON_GetArraySize(times);
        if (n == 0)
            return NAN;
        double *values = malloc((size_t)n * sizeof *values);
        if (values == NULL)
            fail_wrong("out of memory");
        size_t i = 0;
        cJSON_ArrayForEach(time, times) values[i++] = cJSON_IsNumber(time) ? time->valuedouble : NAN;
        double median = stats_median(values, i);
        free(values);
        return median;
    }
    return NAN;
}

/* The item at PATH in ROOT: names separated by dots, each may be followed by
 * [INDEX] ("data.states[4].cpu_ms"); NULL when there is none. */
static const cJSON *item_at(const cJSON *root, const char *path)
{
    const cJSON *item = root;
    const char *at = path;
    while (item != NULL && *at != '\0') {
        char name[128];
        size_t length = strcspn(at, ".[");
        if (length == 0 || length >= sizeof name)
            return NULL;
        memcpy(name, at, length);
        name[length] = '\0';
        item = cJSON_GetObjectItemCaseSensitive(item, name);
        at += length;
        while (item != NULL && *at == '[') {
            char *end;
            long index = strtol(at + 1, &end, 10);
            if (end == at + 1 || *end != ']' || index < 0 || index > 1000000)
                return NULL;
            item = cJSON_GetArrayItem(item, (int)index);
            at = end + 1;
        }
        if (*at == '.')
            at++;
        else if (*at != '\0')
            return NULL;
    }
    return item;
}

/* The number at OPERAND's path ({"variant", "path", "minus"?}) in that
 * variant's verify JSON; NAN with WHY when there is none. */
static double operand_value(const struct experiment *experiment, const cJSON *operand, char *why,
                            size_t why_size)
{
    const char *variant = json_text(operand, "variant");
    char path[4096];
    snprintf(path, sizeof path, "%s/verify-%s.json", experiment->dir, variant);
    char problem[600];
    cJSON *verify = json_try_read(path, problem, sizeof problem);
    if (verify == NULL) { /* PROBLEM is "PATH: what went wrong" */
        snprintf(why, why_size, "not judged: no verification output of %s (%s)", variant,
                 problem + strlen(path) + 2);
        return NAN;
    }
    const char *names[] = {json_text(operand, "path"), json_text(operand, "minus")};
    double value = 0;
    for (int i = 0; i < 2 && !isnan(value); i++) {
        if (i == 1 && !*names[1])
            break;
        const cJSON *item = item_at(verify, names[i]);
        if (cJSON_IsNumber(item))
            value += i == 0 ? item->valuedouble : -item->valuedouble;
        else {
            snprintf(why, why_size, "not judged: %s's output has no number at %s", variant, names[i]);
            value = NAN;
        }
    }
    cJSON_Delete(verify);
    return value;
}

/* ---- formatting ------------------------------------------------------------- */

/* VALUE for a reader: integers as integers, else two or three digits. */
static void format_value(double value, char *out, size_t size)
{
    double magnitude = fabs(value);
    if (value == floor(value) && magnitude < 1e15)
        snprintf(out, size, "%.0f", value);
    else if (magnitude >= 100)
        snprintf(out, size, "%.0f", value);
    else if (magnitude >= 10)
        snprintf(out, size, "%.1f", value);
    else
        snprintf(out, size, "%.2f", value);
    /* 1.50 reads as 1.5, 2.00 as 2 */
    if (strchr(out, '.') != NULL) {
        size_t end = strlen(out);
        while (out[end - 1] == '0')
            out[--end] = '\0';
        if (out[end - 1] == '.')
            out[end - 1] = '\0';
    }
}

/* TEMPLATE with "{value}" replaced by VALUE. */
static void fill_template(const char *template, const char *value, char *out, size_t size)
{
    const char *mark = strstr(template, "{value}");
    if (mark == NULL)
        snprintf(out, size, "%s", template);
    else
        snprintf(out, size, "%.*s%s%s", (int)(mark - template), template, value, mark + 7);
}

/* The lesson's text with its value: the template in "text", or for a speedup
 * "VARIANT 1.45× over OVER"; and " (ideal N)" where it has one. */
static void lesson_text(const cJSON *lesson, double value, char *out, size_t size)
{
    const cJSON *speedup = cJSON_GetObjectItemCaseSensitive(lesson, "speedup");
    char number[64], template[256];
    format_value(value, number, sizeof number);
    if (*json_text(lesson, "text"))
        snprintf(template, sizeof template, "%s", json_text(lesson, "text"));
    else
        snprintf(template, sizeof template, "%s {value}× over %s", json_text(speedup, "variant"),
                 json_text(speedup, "over"));
    fill_template(template, number, out, size);
    const cJSON *ideal = cJSON_GetObjectItemCaseSensitive(lesson, "ideal");
    if (cJSON_IsNumber(ideal)) {
        size_t used = strlen(out);
        format_value(ideal->valuedouble, number, sizeof number);
        snprintf(out + used, size - used, " (ideal %s)", number);
    }
}

/* "expected 1.3–1.6", "expected ≥ 3" or "expected ≤ 1.1". */
static void expectation(const cJSON *lesson, char *out, size_t size)
{
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(lesson, "min");
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(lesson, "max");
    char low[64] = "", high[64] = "";
    if (cJSON_IsNumber(min))
        format_value(min->valuedouble, low, sizeof low);
    if (cJSON_IsNumber(max))
        format_value(max->valuedouble, high, sizeof high);
    if (*low && *high)
        snprintf(out, size, "expected %s–%s", low, high);
    else
        snprintf(out, size, "expected %s %s", *low ? "≥" : "≤", *low ? low : high);
}

/* The machine's state in words: "load average 8.7 on 2 cores, other programs
 * used 1.8 cores before the run (cc1plus 97%) and 1.2 while it ran". */
static void describe_machine(const struct machine *machine, char *out, size_t size)
{
    FILE *text = fmemopen(out, size, "w");
    if (text == NULL)
        fail_sys("fmemopen");
    const char *separator = "";
    if (machine->load >= 0) {
        fprintf(text, "load average %.1f on %.0f cores", machine->load, machine->cores);
        separator = ", ";
    }
    if (machine->others_before >= 0) {
        fprintf(text, "%sother programs used %.1f cores before the run", separator,
                machine->others_before);
        if (machine_busy(machine) && *machine->top)
            fprintf(text, " (%s)", machine->top);
        separator = " and ";
    }
    if (machine->others_during >= 0 && machine->others_before >= 0)
        fprintf(text, " and %.1f while it ran", machine->others_during);
    else if (machine->others_during >= 0)
        fprintf(text, "%sother programs used %.1f cores while it ran", separator,
                machine->others_during);
    if (machine->steal >= BUSY_STEAL_PERCENT)
        fprintf(text, ", %.0f %% of the time stolen by the hypervisor", machine->steal);
    fclose(text);
}

/* Why a lesson was not shown: the machine's state, busy or quiet. */
static void explain_miss(const cJSON *lesson, const struct machine *machine, char *out, size_t size)
{
    char expected[160], state[512] = "";
    expectation(lesson, expected, sizeof expected);
    describe_machine(machine, state, sizeof state);
    if (!*state)
        snprintf(out, size, "%s; the machine's load was not recorded", expected);
    else if (machine_busy(machine))
        snprintf(out, size, "%s; %s; rerun on a quiet machine", expected, state);
    else
        snprintf(out, size, "%s on a quiet machine (%s)", expected, state);
}

/* ---- judging ---------------------------------------------------------------- */

static bool size_listed(const cJSON *sizes, const char *size)
{
    const cJSON *name;
    cJSON_ArrayForEach(name, sizes) if (cJSON_IsString(name) && strcmp(name->valuestring, size) == 0)
        return true;
    return false;
}

/* The lesson's number, or NAN with WHY. */
static double lesson_value(const cJSON *lesson, const struct experiment *experiment, char *why,
                           size_t why_size)
{
    const cJSON *speedup = cJSON_GetObjectItemCaseSensitive(lesson, "speedup");
    if (speedup != NULL) {
        if (experiment->hyperfine == NULL) {
            snprintf(why, why_size, "not judged: %s", experiment->hyperfine_why);
            return NAN;
        }
        const char *names[] = {json_text(speedup, "variant"), json_text(speedup, "over")};
        double medians[2];
        for (int i = 0; i < 2; i++) {
            medians[i] = median_of(experiment, names[i]);
            if (isnan(medians[i]) || medians[i] <= 0) {
                snprintf(why, why_size, "not judged: %s was not timed in this run", names[i]);
                return NAN;
            }
        }
        return medians[1] / medians[0];
    }
    double value = operand_value(experiment, cJSON_GetObjectItemCaseSensitive(lesson, "metric"),
                                 why, why_size);
    const cJSON *over = cJSON_GetObjectItemCaseSensitive(lesson, "over");
    if (over == NULL || isnan(value))
        return value;
    double divisor = operand_value(experiment, over, why, why_size);
    if (divisor == 0) {
        snprintf(why, why_size, "not judged: %s is 0 in %s's output", json_text(over, "path"),
                 json_text(over, "variant"));
        return NAN;
    }
    return value / divisor;
}

static bool within(const cJSON *lesson, double value)
{
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(lesson, "min");
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(lesson, "max");
    return (!cJSON_IsNumber(min) || value >= min->valuedouble) &&
           (!cJSON_IsNumber(max) || value <= max->valuedouble);
}

static void add_number_or_null(cJSON *object, const char *name, const cJSON *number)
{
    if (cJSON_IsNumber(number))
        cJSON_AddNumberToObject(object, name, number->valuedouble);
    else
        cJSON_AddNullToObject(object, name);
}

static cJSON *verdict_object(const cJSON *lesson, const char *text, double value, int shown,
                             const char *why)
{
    cJSON *verdict = cJSON_CreateObject();
    if (verdict == NULL)
        fail_wrong("out of memory");
    cJSON_AddStringToObject(verdict, "name", json_text(lesson, "name"));
    cJSON_AddStringToObject(verdict, "text", text);
    if (isnan(value))
        cJSON_AddNullToObject(verdict, "value");
    else
        cJSON_AddNumberToObject(verdict, "value", value);
    add_number_or_null(verdict, "min", cJSON_GetObjectItemCaseSensitive(lesson, "min"));
    add_number_or_null(verdict, "max", cJSON_GetObjectItemCaseSensitive(lesson, "max"));
    add_number_or_null(verdict, "ideal", cJSON_GetObjectItemCaseSensitive(lesson, "ideal"));
    if (shown < 0)
        cJSON_AddNullToObject(verdict, "shown");
    else
        cJSON_AddBoolToObject(verdict, "shown", shown);
    cJSON_AddStringToObject(verdict, "why", why);
    cJSON_AddStringToObject(verdict, "means", json_text(lesson, "means"));
    return verdict;
}

static cJSON *judge_lesson(const cJSON *lesson, const struct experiment *experiment,
                           struct lessons_tally *tally)
{
    char why[1024] = "", text[512];
    snprintf(text, sizeof text, "%s", json_text(lesson, "name"));
    if (!lessons_valid(lesson, why, sizeof why)) {
        char problem[1024];
        snprintf(problem, sizeof problem, "not judged: lessons.json: %s", why);
        tally->unjudged++;
        return verdict_object(lesson, text, NAN, -1, problem);
    }
    const cJSON *sizes = cJSON_GetObjectItemCaseSensitive(lesson, "sizes");
    if (sizes != NULL && !size_listed(sizes, experiment->size)) {
        snprintf(why, sizeof why, "not judged at %s size: %s", experiment->size,
                 json_text(lesson, "sizes_note"));
        tally->excused++;
        return verdict_object(lesson, text, NAN, -1, why);
    }
    double value = lesson_value(lesson, experiment, why, sizeof why);
    if (isnan(value)) {
        tally->unjudged++;
        return verdict_object(lesson, text, NAN, -1, why);
    }
    lesson_text(lesson, value, text, sizeof text);
    double cores_needed = json_number(lesson, "min_cores", 1);
    if (experiment->machine.cores >= 0 && experiment->machine.cores < cores_needed) {
        snprintf(why, sizeof why, "not judged: needs %.0f cores, this machine has %.0f",
                 cores_needed, experiment->machine.cores);
        tally->unjudged++;
        return verdict_object(lesson, text, value, -1, why);
    }
    if (within(lesson, value)) {
        tally->shown++;
        return verdict_object(lesson, text, value, 1, "");
    }
    explain_miss(lesson, &experiment->machine, why, sizeof why);
    tally->not_shown++;
    return verdict_object(lesson, text, value, 0, why);
}

cJSON *lessons_judge(const char *run_dir, const char *experiment_name, const cJSON *meta,
                     struct lessons_tally *tally)
{
    cJSON *verdicts = cJSON_CreateArray();
    char dir[4096], path[4096 + 32], why[1024];
    snprintf(dir, sizeof dir, "%s/%s", run_dir, experiment_name);
    snprintf(path, sizeof path, "%s/lessons.json", dir);
    cJSON *declared = json_try_read(path, why, sizeof why);
    if (declared == NULL)
        return verdicts; /* an experiment without lessons */
    struct experiment experiment = {.dir = dir, .size = json_text(meta, "size")};
    experiment.machine = read_machine(meta, dir);
    snprintf(path, sizeof path, "%s/hyperfine.json", dir);
    experiment.hyperfine = json_try_read(path, experiment.hyperfine_why,
                                         sizeof experiment.hyperfine_why);
    const cJSON *lessons = cJSON_GetObjectItemCaseSensitive(declared, "lessons"), *lesson;
    if (!cJSON_IsArray(lessons)) {
        cJSON *nameless = cJSON_CreateObject();
        char problem[4096 + 64];
        snprintf(problem, sizeof problem, "not judged: %s/lessons.json has no \"lessons\" array", dir);
        cJSON_AddItemToArray(verdicts, verdict_object(nameless, "lessons", NAN, -1, problem));
        cJSON_Delete(nameless);
        tally->unjudged++;
    }
    cJSON_ArrayForEach(lesson, lessons)
        cJSON_AddItemToArray(verdicts, judge_lesson(lesson, &experiment, tally));
    cJSON_Delete(experiment.hyperfine);
    cJSON_Delete(declared);
    return verdicts;
}

static int visible(const struct dirent *entry) { return entry->d_name[0] != '.'; }

void lessons_judge_run(const char *run_dir, const cJSON *meta, cJSON *lessons,
                       struct lessons_tally *tally)
{
    struct dirent **entries;
    int n = scandir(run_dir, &entries, visible, alphasort);
    if (n < 0)
        fail_usage("%s: %s", run_dir, strerror(errno));
    for (int i = 0; i < n; i++) {
        cJSON *verdicts = lessons_judge(run_dir, entries[i]->d_name, meta, tally);
        if (cJSON_GetArraySize(verdicts) > 0)
            cJSON_AddItemToObject(lessons, entries[i]->d_name, verdicts);
        else
            cJSON_Delete(verdicts);
        free(entries[i]);
    }
    free(entries);
}

void lessons_print(FILE *out, const char *prefix, const cJSON *verdicts)
{
    const cJSON *verdict;
    cJSON_ArrayForEach(verdict, verdicts)
    {
        const cJSON *shown = cJSON_GetObjectItemCaseSensitive(verdict, "shown");
        const char *why = json_text(verdict, "why");
        if (cJSON_IsTrue(shown))
            fprintf(out, "%slesson: %s — shown\n", prefix, json_text(verdict, "text"));
        else if (cJSON_IsFalse(shown))
            fprintf(out, "%slesson: %s — NOT shown: %s\n", prefix, json_text(verdict, "text"), why);
        else
            fprintf(out, "%slesson: %s — %s\n", prefix, json_text(verdict, "text"), why);
    }
}

/* ---- lessons.json ------------------------------------------------------------ */

static bool is_text(const cJSON *object, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(item) && item->valuestring[0] != '\0';
}

static bool known_keys(const cJSON *object, const char *const *keys, char *why, size_t why_size)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, object)
    {
        bool known = false;
        for (const char *const *key = keys; *key != NULL && !known; key++)
            known = strcmp(item->string, *key) == 0;
        if (!known) {
            snprintf(why, why_size, "unknown key \"%s\"", item->string);
            return false;
        }
    }
    return true;
}

static bool valid_operand(const cJSON *operand, const char *role, char *why, size_t why_size)
{
    static const char *const keys[] = {"variant", "path", "minus", NULL};
    if (!cJSON_IsObject(operand) || !is_text(operand, "variant") || !is_text(operand, "path")) {
        snprintf(why, why_size, "\"%s\" needs a \"variant\" and a \"path\"", role);
        return false;
    }
    return known_keys(operand, keys, why, why_size);
}

static bool valid_sizes(const cJSON *sizes, char *why, size_t why_size)
{
    const cJSON *size;
    if (!cJSON_IsArray(sizes) || cJSON_GetArraySize(sizes) == 0) {
        snprintf(why, why_size, "\"sizes\" must be a list of sizes");
        return false;
    }
    cJSON_ArrayForEach(size, sizes)
    {
        bool known = false;
        for (size_t i = 0; i < sizeof SIZES / sizeof SIZES[0]; i++)
            known |= cJSON_IsString(size) && strcmp(size->valuestring, SIZES[i]) == 0;
        if (!known) {
            snprintf(why, why_size, "\"sizes\": each must be quick, book or large");
            return false;
        }
    }
    return true;
}

static bool valid_measure(const cJSON *lesson, char *why, size_t why_size)
{
    const cJSON *speedup = cJSON_GetObjectItemCaseSensitive(lesson, "speedup");
    const cJSON *metric = cJSON_GetObjectItemCaseSensitive(lesson, "metric");
    const cJSON *over = cJSON_GetObjectItemCaseSensitive(lesson, "over");
    if ((speedup == NULL) == (metric == NULL)) {
        snprintf(why, why_size, "needs either \"speedup\" or \"metric\"");
        return false;
    }
    if (speedup != NULL) {
        static const char *const keys[] = {"variant", "over", NULL};
        if (!cJSON_IsObject(speedup) || !is_text(speedup, "variant") || !is_text(speedup, "over") ||
            over != NULL) {
            snprintf(why, why_size, "\"speedup\" needs a \"variant\" and an \"over\"");
            return false;
        }
        return known_keys(speedup, keys, why, why_size);
    }
    if (!valid_operand(metric, "metric", why, why_size) ||
        (over != NULL && !valid_operand(over, "over", why, why_size)))
        return false;
    if (!is_text(lesson, "text") || strstr(json_text(lesson, "text"), "{value}") == NULL) {
        snprintf(why, why_size, "a metric needs a \"text\" with {value} in it");
        return false;
    }
    return true;
}

static bool valid_bounds(const cJSON *lesson, char *why, size_t why_size)
{
    static const char *const numbers[] = {"min", "max", "ideal", "min_cores"};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(lesson, numbers[i]);
        if (item != NULL && !cJSON_IsNumber(item)) {
            snprintf(why, why_size, "\"%s\" must be a number", numbers[i]);
            return false;
        }
    }
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(lesson, "min");
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(lesson, "max");
    if (min == NULL && max == NULL) {
        snprintf(why, why_size, "needs \"min\", \"max\" or both");
        return false;
    }
    if (min != NULL && max != NULL && min->valuedouble > max->valuedouble) {
        snprintf(why, why_size, "\"min\" is above \"max\"");
        return false;
    }
    double cores = json_number(lesson, "min_cores", 1);
    if (cores < 1 || cores > 4096 || cores != floor(cores)) {
        snprintf(why, why_size, "\"min_cores\" must be a whole number from 1");
        return false;
    }
    return true;
}

bool lessons_valid(const cJSON *lesson, char *why, size_t why_size)
{
    static const char *const keys[] = {"name",  "means", "speedup",   "metric",     "over",
                                       "min",   "max",   "ideal",     "min_cores",  "sizes",
                                       "sizes_note", "text", NULL};
    if (!cJSON_IsObject(lesson) || !is_text(lesson, "name") || !is_text(lesson, "means")) {
        snprintf(why, why_size, "each lesson needs a \"name\" and a \"means\"");
        return false;
    }
    if (!known_keys(lesson, keys, why, why_size) || !valid_measure(lesson, why, why_size) ||
        !valid_bounds(lesson, why, why_size))
        return false;
    const cJSON *sizes = cJSON_GetObjectItemCaseSensitive(lesson, "sizes");
    if (sizes != NULL && (!valid_sizes(sizes, why, why_size) || !is_text(lesson, "sizes_note"))) {
        if (valid_sizes(sizes, why, why_size))
            snprintf(why, why_size, "\"sizes\" needs a \"sizes_note\": why the others are left out");
        return false;
    }
    return true;
}

/* ---- the subcommand ---------------------------------------------------------- */

static int check_files(int count, char **paths)
{
    int problems = 0;
    for (int i = 0; i < count; i++) {
        char why[1024];
        cJSON *declared = json_try_read(paths[i], why, sizeof why);
        const cJSON *lessons = cJSON_GetObjectItemCaseSensitive(declared, "lessons"), *lesson;
        if (declared == NULL) {
            fprintf(stderr, "conclab-results: %s\n", why);
            problems++;
        } else if (!cJSON_IsArray(lessons) || cJSON_GetArraySize(lessons) == 0) {
            fprintf(stderr, "conclab-results: %s: needs a non-empty \"lessons\" array\n", paths[i]);
            problems++;
        }
        int index = 0;
        cJSON_ArrayForEach(lesson, lessons)
        {
            index++;
            if (!lessons_valid(lesson, why, sizeof why)) {
                fprintf(stderr, "conclab-results: %s: lesson %d (%s): %s\n", paths[i], index,
                        json_text(lesson, "name"), why);
                problems++;
            }
        }
        cJSON_Delete(declared);
    }
    return problems > 0 ? EXIT_USAGE : EXIT_RIGHT;
}

static void print_tally(const struct lessons_tally *tally)
{
    int total = tally->shown + tally->not_shown + tally->unjudged + tally->excused;
    printf("lessons: %d of %d shown", tally->shown, total);
    if (tally->not_shown > 0)
        printf(", %d not shown", tally->not_shown);
    if (tally->unjudged > 0)
        printf(", %d could not be judged", tally->unjudged);
    if (tally->excused > 0)
        printf(", %d not judged at this size", tally->excused);
    printf("\n");
}

int lessons_command(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[0], "--check") == 0)
        return check_files(argc - 1, argv + 1);
    if (argc < 1 || argc > 2 || argv[0][0] == '-')
        fail_usage("usage: conclab-results lessons RUN_DIR [EXPERIMENT] | lessons --check FILE...");
    char path[4096];
    snprintf(path, sizeof path, "%s/meta.json", argv[0]);
    cJSON *meta = json_read(path, false);
    struct lessons_tally tally = {0};
    if (argc == 2) {
        cJSON *verdicts = lessons_judge(argv[0], argv[1], meta, &tally);
        lessons_print(stdout, "  ", verdicts);
        cJSON_Delete(verdicts);
    } else {
        cJSON *all = cJSON_CreateObject();
        lessons_judge_run(argv[0], meta, all, &tally);
        const cJSON *experiment;
        cJSON_ArrayForEach(experiment, all)
        {
            printf("%s\n", experiment->string);
            lessons_print(stdout, "  ", experiment);
        }
        print_tally(&tally);
        cJSON_Delete(all);
    }
    cJSON_Delete(meta);
    return tally.not_shown + tally.unjudged > 0 ? EXIT_WRONG : EXIT_RIGHT;
}
