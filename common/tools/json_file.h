/* json_file — reading and writing the JSON files of a run folder with cJSON,
 * shared by conclab-results' subcommands.
 */
#ifndef CONCLAB_JSON_FILE_H
#define CONCLAB_JSON_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* The parsed contents of PATH.  NULL when PATH does not exist and MISSING_OK;
 * any other failure (unreadable, not JSON) is a usage error: exit 2 with one
 * line naming the file. */
cJSON *json_read(const char *path, bool missing_ok);

/* The parsed contents of PATH, or NULL with a one-line reason in WHY (the
 * file is missing, unreadable or not JSON): for files whose trouble is
 * reported, not fatal. */
cJSON *json_try_read(const char *path, char *why, size_t why_size);

/* Writes JSON to PATH through PATH.new and a rename, so that PATH is whole or
 * absent; exits 1 naming the call that failed. */
void json_write(const char *path, const cJSON *json);

/* The number at NAME in OBJECT, or FALLBACK when there is none. */
double json_number(const cJSON *object, const char *name, double fallback);

/* The string at NAME in OBJECT, or "" when there is none. */
const char *json_text(const cJSON *object, const char *name);

#endif
