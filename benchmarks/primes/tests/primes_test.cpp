// The primes kernel against answers it does not compute itself: a sieve for
// the small numbers, known primes and pseudoprimes for the large ones, and
// the notes' list.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "primes.h"

namespace {

std::vector<bool> sieve(size_t limit)
{
    std::vector<bool> prime(limit + 1, true);
    prime[0] = prime[1] = false;
    for (size_t p = 2; p * p <= limit; p++)
        if (prime[p])
            for (size_t m = p * p; m <= limit; m += p)
                prime[m] = false;
    return prime;
}

uint64_t smallest_factor(uint64_t n)
{
    for (uint64_t d = 2; d * d <= n; d++)
        if (n % d == 0)
            return d;
    return 0;
}

} // namespace

TEST(Isqrt, ExactAtSquaresAndAroundThem)
{
    for (uint64_t r : {0ull, 1ull, 2ull, 3ull, 1000ull, 65535ull, 65536ull, 3037000499ull,
                       4294967295ull}) {
        EXPECT_EQ(isqrt_u64(r * r), r);
        if (r > 0) {
            EXPECT_EQ(isqrt_u64(r * r - 1), r - 1);
        }
        if (r < 4294967295ull) {
            EXPECT_EQ(isqrt_u64(r * r + 2 * r), r); // (r+1)^2 - 1
        }
    }
    EXPECT_EQ(isqrt_u64(UINT64_MAX), 4294967295ull);
}

TEST(Trial, AgreesWithASieveAndFindsTheSmallestDivisor)
{
    const size_t limit = 200000;
    const auto prime = sieve(limit);
    for (uint64_t n = 0; n <= limit; n++) {
        uint64_t divisor = 99;
        ASSERT_EQ(is_prime_by_trial(n, &divisor), prime[n]) << n;
        uint64_t expected = n >= 4 && !prime[n] ? smallest_factor(n) : 0;
        ASSERT_EQ(divisor, expected) << n;
        ASSERT_EQ(is_prime_miller_rabin(n), prime[n]) << n;
    }
}

TEST(Trial, TheNotesList)
{
    const uint64_t primes[] = {112272535095293, 112582705942171, 115280095190773,
                               115797848077099};
    for (uint64_t n : primes) {
        EXPECT_TRUE(is_prime_miller_rabin(n)) << n;
        EXPECT_EQ(smallest_odd_divisor(n, 3, 1001), 0u) << n;
    }
    uint64_t divisor = 0;
    EXPECT_FALSE(is_prime_by_trial(1099726899285419, &divisor));
    EXPECT_EQ(divisor, 3306091u);
    EXPECT_EQ(3306091ull * 332636609ull, 1099726899285419ull);
    EXPECT_FALSE(is_prime_miller_rabin(1099726899285419));
}

TEST(MillerRabin, KnownPrimesAndPseudoprimes)
{
    for (uint64_t p : {2305843009213693951ull /* 2^61 - 1 */, 999999999999999989ull,
                       4294967291ull, 1000000007ull, 998244353ull})
        EXPECT_TRUE(is_prime_miller_rabin(p)) << p;
    // Carmichael numbers, strong pseudoprimes to base 2 and to several bases.
    for (uint64_t c : {561ull, 41041ull, 825265ull, 2047ull, 3215031751ull, 3825123056546413051ull,
                       4294967297ull /* 641 x 6700417 */, 99989300153ull})
        EXPECT_FALSE(is_prime_miller_rabin(c)) << c;
}

TEST(Pieces, JoinIntoTheWholeRange)
{
    const uint64_t n = 99991ull * 999983ull, top = isqrt_u64(n);
    uint64_t first = 0;
    for (uint64_t lo = 3; lo <= top && first == 0; lo += 2 * 1000) {
        uint64_t hi = lo + 2 * 999 < top ? lo + 2 * 999 : top;
        first = smallest_odd_divisor(n, lo, hi);
    }
    EXPECT_EQ(first, 99991u);
    EXPECT_EQ(smallest_odd_divisor(n, 99993, top), 0u) << "999983 is beyond sqrt(n)";
    EXPECT_EQ(smallest_odd_divisor(n, 99991, 99991), 99991u);
    EXPECT_EQ(smallest_odd_divisor(n, 5, 3), 0u) << "an empty range";
}

TEST(Trial, DivisionsCountedWithoutDoingThem)
{
    EXPECT_EQ(trial_divisions(1099726899285419, 3306091), (3306091u - 3) / 2 + 1);
    EXPECT_EQ(trial_divisions(1000000007, 0), (31622u - 3) / 2 + 1);
    EXPECT_EQ(trial_divisions(1000000, 2), 1u);
    EXPECT_EQ(trial_divisions(3, 0), 1u);
}
