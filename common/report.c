#include "report.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>

#include "fail.h"
#include "stats.h"
#include "sysinfo.h"

struct report {
    cJSON *root;
    cJSON *parameters, *metrics, *data, *checks, *notes;
};

static cJSON *must(cJSON *item)
{
    if (item == NULL)
        fail_wrong("out of memory while building the report");
    return item;
}

static cJSON *add_object(cJSON *parent, const char *name)
{
    return must(cJSON_AddObjectToObject(parent, name));
}

static void add_machine(cJSON *root)
{
    cJSON *machine = add_object(root, "machine");
    char cpu[256], kernel[256];
    sysinfo_cpu_model(cpu, sizeof cpu);
    sysinfo_kernel(kernel, sizeof kernel);
    must(cJSON_AddNumberToObject(machine, "cores", sysinfo_online_cores()));
    must(cJSON_AddStringToObject(machine, "cpu", cpu));
    must(cJSON_AddStringToObject(machine, "kernel", kernel));
    must(cJSON_AddStringToObject(machine, "compiler", sysinfo_compiler()));
}

struct report *report_new(const char *experiment, const char *variant)
{
    struct report *report = calloc(1, sizeof *report);
    if (report == NULL)
        fail_wrong("out of memory while building the report");
    report->root = must(cJSON_CreateObject());
    must(cJSON_AddStringToObject(report->root, "experiment", experiment));
    must(cJSON_AddStringToObject(report->root, "variant", variant));
    report->parameters = add_object(report->root, "parameters");
    must(cJSON_AddNullToObject(report->root, "elapsed_s"));
    report->metrics = add_object(report->root, "metrics");
    report->checks = must(cJSON_AddArrayToObject(report->root, "checks"));
    report->notes = must(cJSON_AddArrayToObject(report->root, "notes"));
    report->data = add_object(report->root, "data");
    add_machine(report->root);
    return report;
}

void report_param_int(struct report *report, const char *name, long long value)
{
    must(cJSON_AddNumberToObject(report->parameters, name, (double)value));
}

void report_param_text(struct report *report, const char *name, const char *value)
{
    must(cJSON_AddStringToObject(report->parameters, name, value));
}

void report_param_bool(struct report *report, const char *name, bool value)
{
    must(cJSON_AddBoolToObject(report->parameters, name, value));
}

void report_elapsed(struct report *report, double seconds)
{
    cJSON_ReplaceItemInObject(report->root, "elapsed_s", must(cJSON_CreateNumber(seconds)));
}

void report_metric(struct report *report, const char *name, double value, const char *unit)
{
    cJSON *metric = add_object(report->metrics, name);
    must(cJSON_AddNumberToObject(metric, "value", value));
    must(cJSON_AddStringToObject(metric, "unit", unit));
}

void report_data(struct report *report, const char *name, cJSON *item)
{
    if (!cJSON_AddItemToObject(report->data, name, must(item)))
        fail_wrong("out of memory while building the report");
}

void report_spread(struct report *report, const char *name, const double *values, size_t n,
                   const char *unit)
{
    double low = values[0], high = values[0];
    cJSON *list = must(cJSON_CreateArray());
    for (size_t i = 0; i < n; i++) {
        low = values[i] < low ? values[i] : low;
        high = values[i] > high ? values[i] : high;
        if (!cJSON_AddItemToArray(list, must(cJSON_CreateNumber(values[i]))))
            fail_wrong("out of memory while building the report");
    }
    double mean = stats_mean(values, n);
    char metric[96];
    snprintf(metric, sizeof metric, "%s_min", name);
    report_metric(report, metric, low, unit);
    snprintf(metric, sizeof metric, "%s_max", name);
    report_metric(report, metric, high, unit);
    snprintf(metric, sizeof metric, "%s_cv", name);
    report_metric(report, metric, mean > 0 ? stats_stddev(values, n) / mean : 0, "");
    report_data(report, name, list);
}

static char *format_text(const char *format, va_list args)
{
    va_list again;
    va_copy(again, args);
    int length = vsnprintf(NULL, 0, format, args);
    char *text = length < 0 ? NULL : malloc((size_t)length + 1);
    if (text == NULL)
        fail_wrong("out of memory while building the report");
    vsnprintf(text, (size_t)length + 1, format, again);
    va_end(again);
    return text;
}

bool report_check(struct report *report, const char *name, bool ok, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *detail = format_text(format, args);
    va_end(args);
    cJSON *check = must(cJSON_CreateObject());
    cJSON_AddItemToArray(report->checks, check);
    must(cJSON_AddStringToObject(check, "name", name));
    must(cJSON_AddBoolToObject(check, "ok", ok));
    must(cJSON_AddStringToObject(check, "detail", detail));
    free(detail);
    return ok;
}

void report_note(struct report *report, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *note = format_text(format, args);
    va_end(args);
    cJSON_AddItemToArray(report->notes, must(cJSON_CreateString(note)));
    free(note);
}

bool report_ok(const struct report *report)
{
    if (cJSON_GetArraySize(report->checks) == 0)
        return false;
    const cJSON *check;
    cJSON_ArrayForEach(check, report->checks)
    {
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(check, "ok")))
            return false;
    }
    return true;
}

char *report_to_json(const struct report *report)
{
    cJSON *verdict = must(cJSON_CreateBool(report_ok(report)));
    if (cJSON_HasObjectItem(report->root, "ok"))
        cJSON_ReplaceItemInObjectCaseSensitive(report->root, "ok", verdict);
    else
        cJSON_AddItemToObject(report->root, "ok", verdict);
    char *text = cJSON_PrintUnformatted(report->root);
    if (text == NULL)
        fail_wrong("out of memory while printing the report");
    return text;
}

/* Prints VALUE as a person reads it: a whole number in full (1000000, not
 * 1e+06, which %g would print), anything else to six significant digits. */
static void print_number(FILE *out, double value)
{
    /* Within +-2^53 every whole double is exact, so the cast loses nothing. */
    if (isfinite(value) && value == floor(value) && fabs(value) <= 0x1p53)
        fprintf(out, "%lld", (long long)value);
    else
        fprintf(out, "%.6g", value);
}

static void print_parameters(const struct report *report, FILE *out)
{
    const cJSON *item;
    fprintf(out, "  parameters:");
    cJSON_ArrayForEach(item, report->parameters)
    {
        if (cJSON_IsString(item))
            fprintf(out, " %s=%s", item->string, item->valuestring);
        else if (cJSON_IsBool(item))
            fprintf(out, " %s=%s", item->string, cJSON_IsTrue(item) ? "yes" : "no");
        else {
            fprintf(out, " %s=", item->string);
            print_number(out, item->valuedouble);
        }
    }
    fputc('\n', out);
}

static void print_human(const struct report *report, FILE *out)
{
    const cJSON *root = report->root, *item;
    const cJSON *elapsed = cJSON_GetObjectItemCaseSensitive(root, "elapsed_s");
    fprintf(out, "%s %s: ", cJSON_GetObjectItemCaseSensitive(root, "experiment")->valuestring,
            cJSON_GetObjectItemCaseSensitive(root, "variant")->valuestring);
    if (cJSON_IsNumber(elapsed))
        fprintf(out, "%.3f s\n", elapsed->valuedouble);
    else
        fprintf(out, "(not timed)\n");
    print_parameters(report, out);
    cJSON_ArrayForEach(item, report->metrics)
    {
        const cJSON *unit = cJSON_GetObjectItemCaseSensitive(item, "unit");
        fprintf(out, "  %s: ", item->string);
        print_number(out, cJSON_GetObjectItemCaseSensitive(item, "value")->valuedouble);
        fprintf(out, "%s%s\n", *unit->valuestring ? " " : "", unit->valuestring);
    }
    cJSON_ArrayForEach(item, report->checks)
    {
        fprintf(out, "  check %-24s %s  %s\n",
                cJSON_GetObjectItemCaseSensitive(item, "name")->valuestring,
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "ok")) ? "ok   " : "WRONG",
                cJSON_GetObjectItemCaseSensitive(item, "detail")->valuestring);
    }
    cJSON_ArrayForEach(item, report->notes)
        fprintf(out, "  note: %s\n", item->valuestring);
    fprintf(out, "  %s\n", report_ok(report) ? "answer checked: right" : "answer checked: WRONG");
}

int report_finish(struct report *report, bool as_json, FILE *out)
{
    bool ok = report_ok(report);
    if (as_json) {
        char *text = report_to_json(report);
        fprintf(out, "%s\n", text);
        cJSON_free(text);
    } else {
        print_human(report, out);
    }
    cJSON_Delete(report->root);
    free(report);
    if (fflush(out) != 0)
        fail_sys("fflush");
    return ok ? EXIT_RIGHT : EXIT_WRONG;
}
