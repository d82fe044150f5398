/* json_file — see json_file.h. */
#include "json_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fail.h"

/* The whole of FILE as a string to free, or NULL on a read error. */
static char *slurp(FILE *file)
{
    char *text = NULL;
    size_t size = 0;
    FILE *buffer = open_memstream(&text, &size);
    if (buffer == NULL)
        fail_sys("open_memstream");
    int c;
    while ((c = fgetc(file)) != EOF)
        fputc(c, buffer);
    bool read_error = ferror(file);
    if (fclose(buffer) != 0)
        fail_sys("open_memstream");
    if (read_error) {
        free(text);
        return NULL;
    }
    return text;
}

/* 0 and the parsed file, or the errno of fopen (-1: read error, -2: not JSON). */
static int parse_file(const char *path, cJSON **json)
{
    *json = NULL;
    FILE *file = fopen(path, "r");
    if (file == NULL)
        return errno;
    char *text = slurp(file);
    fclose(file);
    if (text == NULL)
        return -1;
    *json = cJSON_Parse(text);
    free(text);
    return *json == NULL ? -2 : 0;
}

static const char *problem_name(int problem)
{
    return problem == -1 ? "read error" : problem == -2 ? "not valid JSON" : strerror(problem);
}

cJSON *json_read(const char *path, bool missing_ok)
{
    cJSON *json;
    int problem = parse_file(path, &json);
    if (problem == 0)
        return json;
    if (missing_ok && (problem == ENOENT || problem == ENOTDIR))
        return NULL;
    fail_usage("%s: %s", path, problem_name(problem));
}

cJSON *json_try_read(const char *path, char *why, size_t why_size)
{
    cJSON *json;
    int problem = parse_file(path, &json);
    if (problem != 0)
        snprintf(why, why_size, "%s: %s", path, problem_name(problem));
    return json;
}

/* Fails with the error of CALL after removing TEMPORARY: a full disk
 * leaves no half-written file behind. */
static _Noreturn void fail_removing(const char *call, const char *temporary)
{
    int error = errno;
    remove(temporary);
    errno = error;
    fail_sys(call);
}

void json_write(const char *path, const cJSON *json)
{
    char temporary[4096 + 8];
    snprintf(temporary, sizeof temporary, "%s.new", path);
    char *text = cJSON_Print(json);
    FILE *file = fopen(temporary, "w");
    if (text == NULL || file == NULL)
        fail_sys(temporary);
    bool ok = fputs(text, file) >= 0 && fputc('\n', file) != EOF;
    ok &= fclose(file) == 0;
    cJSON_free(text);
    if (!ok)
        fail_removing(temporary, temporary);
    if (rename(temporary, path) != 0)
        fail_removing("rename", temporary);
}

double json_number(const cJSON *object, const char *name, double fallback)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsNumber(item) ? item->valuedouble : fallback;
}

const char *json_text(const cJSON *object, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(item) ? item->valuestring : "";
}
