// report: the JSON parses back with a real parser and says what was recorded.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <cjson/cJSON.h>

#include "report.h"

namespace {

using Json = std::unique_ptr<cJSON, decltype(&cJSON_Delete)>;

Json parse_report(struct report *report)
{
    char *text = report_to_json(report);
    Json root(cJSON_Parse(text), cJSON_Delete);
    cJSON_free(text);
    return root;
}

std::string finish(struct report *report, bool as_json, int *status)
{
    char *buffer = nullptr;
    size_t size = 0;
    FILE *stream = open_memstream(&buffer, &size);
    *status = report_finish(report, as_json, stream);
    fclose(stream);
    std::string out(buffer, size);
    free(buffer);
    return out;
}

const cJSON *get(const cJSON *object, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(object, name);
}

} // namespace

TEST(Report, JsonHoldsEverythingRecorded)
{
    struct report *report = report_new("demo", "threads");
    report_param_int(report, "workers", 4);
    report_param_text(report, "label", "quote \" and \\ backslash\nnewline");
    report_param_bool(report, "split", true);
    report_elapsed(report, 1.25);
    report_metric(report, "lost", 12, "updates");
    report_check(report, "sum", true, "%d == %d", 3, 3);
    report_note(report, "ideal speedup %.1f", 1.5);
    report_data(report, "list", cJSON_CreateArray());

    Json root = parse_report(report);
    ASSERT_TRUE(root) << "not valid JSON";
    EXPECT_STREQ(get(root.get(), "experiment")->valuestring, "demo");
    EXPECT_STREQ(get(root.get(), "variant")->valuestring, "threads");
    const cJSON *parameters = get(root.get(), "parameters");
    EXPECT_EQ(get(parameters, "workers")->valuedouble, 4);
    EXPECT_STREQ(get(parameters, "label")->valuestring, "quote \" and \\ backslash\nnewline");
    EXPECT_TRUE(cJSON_IsTrue(get(parameters, "split")));
    EXPECT_DOUBLE_EQ(get(root.get(), "elapsed_s")->valuedouble, 1.25);
    EXPECT_EQ(get(get(get(root.get(), "metrics"), "lost"), "value")->valuedouble, 12);
    const cJSON *check = cJSON_GetArrayItem(get(root.get(), "checks"), 0);
    EXPECT_STREQ(get(check, "detail")->valuestring, "3 == 3");
    EXPECT_STREQ(cJSON_GetArrayItem(get(root.get(), "notes"), 0)->valuestring, "ideal speedup 1.5");
    EXPECT_TRUE(cJSON_IsArray(get(get(root.get(), "data"), "list")));
    EXPECT_GE(get(get(root.get(), "machine"), "cores")->valuedouble, 1);
    EXPECT_TRUE(cJSON_IsTrue(get(root.get(), "ok")));

    int status = -1;
    const std::string printed = finish(report, true, &status);
    EXPECT_EQ(status, 0);
    EXPECT_EQ(printed.back(), '\n');
    EXPECT_EQ(printed.find('\n'), printed.size() - 1) << "JSON must be one line";
}

TEST(Report, SpreadGivesMinMaxAndCoefficientOfVariation)
{
    struct report *report = report_new("demo", "pool");
    const double tasks[] = {2, 4, 6};
    report_spread(report, "tasks_per_worker", tasks, 3, "tasks");
    report_check(report, "sum", true, "ok");
    Json root = parse_report(report);
    const cJSON *metrics = get(root.get(), "metrics");
    EXPECT_EQ(get(get(metrics, "tasks_per_worker_min"), "value")->valuedouble, 2);
    EXPECT_EQ(get(get(metrics, "tasks_per_worker_max"), "value")->valuedouble, 6);
    EXPECT_STREQ(get(get(metrics, "tasks_per_worker_max"), "unit")->valuestring, "tasks");
    // mean 4, sample standard deviation 2: cv 0.5
    EXPECT_DOUBLE_EQ(get(get(metrics, "tasks_per_worker_cv"), "value")->valuedouble, 0.5);
    const cJSON *list = get(get(root.get(), "data"), "tasks_per_worker");
    ASSERT_EQ(cJSON_GetArraySize(list), 3);
    EXPECT_EQ(cJSON_GetArrayItem(list, 2)->valuedouble, 6);
    int status = -1;
    finish(report, true, &status);
}

TEST(Report, SpreadOfOneWorkerIsEven)
{
    struct report *report = report_new("demo", "pool");
    const double tasks[] = {7};
    report_spread(report, "tasks_per_worker", tasks, 1, "tasks");
    report_check(report, "sum", true, "ok");
    Json root = parse_report(report);
    EXPECT_EQ(get(get(get(root.get(), "metrics"), "tasks_per_worker_cv"), "value")->valuedouble, 0);
    int status = -1;
    finish(report, true, &status);
}

TEST(Report, OneFailedCheckMakesItWrong)
{
    struct report *report = report_new("demo", "seq");
    EXPECT_TRUE(report_check(report, "a", true, "fine"));
    EXPECT_FALSE(report_check(report, "b", false, "off by %d", 1));
    EXPECT_FALSE(report_ok(report));
    int status = -1;
    const std::string printed = finish(report, false, &status);
    EXPECT_EQ(status, 1);
    EXPECT_NE(printed.find("WRONG"), std::string::npos) << printed;
}

TEST(Report, NoCheckIsNoAnswer)
{
    struct report *report = report_new("demo", "seq");
    Json root = parse_report(report);
    EXPECT_TRUE(cJSON_IsFalse(get(root.get(), "ok")));
    EXPECT_TRUE(cJSON_IsNull(get(root.get(), "elapsed_s")));
    int status = -1;
    finish(report, true, &status);
    EXPECT_EQ(status, 1);
}

// A count is read as a count: 1000000, never 1e+06 (%g's form), in the
// metrics and the parameters of the human report; fractions keep their digits.
TEST(Report, WholeNumbersPrintInFull)
{
    struct report *report = report_new("demo", "unlocked");
    report_param_int(report, "increments", 1000000);
    report_param_int(report, "total", 9007199254740992LL); // 2^53, the last exact one
    report_metric(report, "found", 1e6, "");
    report_metric(report, "lost", 2474650, "updates");
    report_metric(report, "below_zero", -3000000, "");
    report_metric(report, "lost_percent", 41.2442, "%");
    report_metric(report, "tiny", 2.5e-7, "s");
    report_check(report, "sum", true, "fine");
    int status = -1;
    const std::string printed = finish(report, false, &status);
    EXPECT_NE(printed.find(" increments=1000000"), std::string::npos) << printed;
    EXPECT_NE(printed.find(" total=9007199254740992"), std::string::npos) << printed;
    EXPECT_NE(printed.find("  found: 1000000\n"), std::string::npos) << printed;
    EXPECT_NE(printed.find("  lost: 2474650 updates\n"), std::string::npos) << printed;
    EXPECT_NE(printed.find("  below_zero: -3000000\n"), std::string::npos) << printed;
    EXPECT_NE(printed.find("  lost_percent: 41.2442 %\n"), std::string::npos) << printed;
    EXPECT_NE(printed.find("  tiny: 2.5e-07 s\n"), std::string::npos) << printed;
    EXPECT_EQ(printed.find("e+"), std::string::npos) << printed;
}
