// program_test — what a GoogleTest test of an experiment needs to run the
// real program and read its JSON back.  Built by conclab_program_test
// (benchmarks/CMakeLists.txt), which defines PROGRAM_BIN, the binary's path.
#ifndef CONCLAB_PROGRAM_TEST_H
#define CONCLAB_PROGRAM_TEST_H

#include <cstdio>
#include <memory>
#include <string>

#include <sys/wait.h>

#include <cjson/cJSON.h>

struct ProgramRun {
    int status;      // the exit status; -1 when it did not exit normally or did not start
    std::string out; // everything it wrote on stdout
};

// Runs PROGRAM_BIN with ARGS (words for the shell) and collects its stdout.
inline ProgramRun run_program(const std::string &args)
{
    const std::string command = std::string(PROGRAM_BIN) + " " + args;
    FILE *pipe = popen(command.c_str(), "r");
    if (pipe == nullptr)
        return {-1, ""};
    std::string out;
    char buffer[4096];
    size_t got;
    while ((got = fread(buffer, 1, sizeof buffer, pipe)) > 0)
        out.append(buffer, got);
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

using Json = std::unique_ptr<cJSON, decltype(&cJSON_Delete)>;

// TEXT parsed; empty (false) when it is not JSON.
inline Json parse_json(const std::string &text)
{
    return Json(cJSON_Parse(text.c_str()), cJSON_Delete);
}

// OBJECT's member NAME; NULL when OBJECT is NULL or has none.
inline const cJSON *at(const cJSON *object, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(object, name);
}

// The value of metric NAME in a report; -1 when the report has none.
inline double metric(const cJSON *report, const char *name)
{
    const cJSON *value = at(at(at(report, "metrics"), name), "value");
    return cJSON_IsNumber(value) ? value->valuedouble : -1;
}

#endif
