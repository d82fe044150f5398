// sysinfo: the facts recorded with every result are present and sane.
#include <gtest/gtest.h>

#include <cstring>

#include "sysinfo.h"

TEST(Sysinfo, ReportsAtLeastOneCore) { EXPECT_GE(sysinfo_online_cores(), 1); }

TEST(Sysinfo, FillsTextEvenInSmallBuffers)
{
    char small[8];
    sysinfo_cpu_model(small, sizeof small);
    EXPECT_LT(strlen(small), sizeof small);
    EXPECT_GT(strlen(small), 0u);
    char kernel[256];
    sysinfo_kernel(kernel, sizeof kernel);
    EXPECT_NE(strstr(kernel, "Linux"), nullptr) << kernel;
    EXPECT_GT(strlen(sysinfo_compiler()), 0u);
}
