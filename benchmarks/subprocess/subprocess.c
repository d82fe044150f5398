/* subprocess — what does a child process cost, and how are children wired
 * together with pipes?
 *
 * Effective Python (2nd ed.), item 52 "Use subprocess to manage child
 * processes", as the study notes in seeds 000 and 002 run it.  Children run in
 * parallel with the parent and with each other: ten `sleep 1` children
 * started at once took 1.03 s and 1.09 s in the notes, not 10 s.  Here the
 * same steps are done with posix_spawn (or fork + exec), pipes and waitpid,
 * through common/proc.h.
 *
 * Variants (--mode):
 *   sleep-seq       --children `sleep --seconds` one after another: ~10 s at
 *                   book size; listed first, the baseline of the speedups
 *   sleep-parallel  the same children all started, then all reaped: ~1 s
 *   run             `echo` with its output captured and its exit status
 *                   checked (subprocess.run + check_returncode)
 *   poll            one child polled with waitpid(WNOHANG) while the parent
 *                   does other work; reports how many polls it took
 *   encrypt         three `openssl enc -des3 -pbkdf2 -pass env:password`
 *                   children fed random bytes through stdin pipes, all at once
 *   pipeline        each encrypt child's stdout piped into an `openssl dgst
 *                   -sha256 -binary` child, the parent holding no copy of the
 *                   pipe between them
 *   timeout         `sleep 10` waited on for --timeout (0.1 s), then
 *                   terminated and reaped: returncode -15 as Python says
 *   spawn           --children `true` started and reaped one at a time: the
 *                   cost of one child; variants spawn-posix and spawn-fork
 * --spawn=posix|fork picks how every variant starts its children.
 *
 * Every variant also checks that it left no child and no open descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "fail.h"
#include "proc.h"
#include "report.h"
#include "sysinfo.h"

extern char **environ;

#define GREETING "Hello from the child!"
#define PASSWORD_ENTRY "password=zf7ShyBhZ0raQDdE/FiZpm/m/8f9X+M1"
#define SALT_BYTES 8
#define SALT_HEX (2 * SALT_BYTES + 1)
#define SHA256_BYTES 32
#define TAIL_BYTES 10         /* the book prints out[-10:] */
#define POLL_WORK_CHUNK 1000  /* integers summed between two polls */
#define STOP_GRACE_S 1.0      /* SIGTERM, then this long before SIGKILL */
#define MAX_CHILDREN 1000
#define MAX_PIPED_CHILDREN 100 /* encrypt and pipeline hold pipes per child */
#define MAX_BYTES (64LL << 20)
#define MAX_TOTAL_BYTES (256LL << 20)
#define FAILURE_TEXT 160 /* "child 3 killed by signal 13 (SIGPIPE)" */

/* Seconds are read with millisecond precision (cli's CLI_DECIMAL). */
#define MS_DECIMALS 3

enum mode {
    MODE_SLEEP_SEQ,
    MODE_SLEEP_PARALLEL,
    MODE_RUN,
    MODE_POLL,
    MODE_ENCRYPT,
    MODE_PIPELINE,
    MODE_TIMEOUT,
    MODE_SPAWN,
};
static const char *const mode_names[] = {"sleep-seq", "sleep-parallel", "run",     "poll",
                                         "encrypt",   "pipeline",       "timeout", "spawn",
                                         NULL};
/* Indexed by enum proc_method. */
static const char *const method_names[] = {"posix", "fork", NULL};

static const struct cli_variant variants[] = {
    {"sleep-seq", MODE_SLEEP_SEQ, NULL},
    {"sleep-parallel", MODE_SLEEP_PARALLEL, NULL},
    {"run", MODE_RUN, NULL},
    {"poll", MODE_POLL, NULL},
    {"encrypt", MODE_ENCRYPT, NULL},
    {"pipeline", MODE_PIPELINE, NULL},
    {"timeout", MODE_TIMEOUT, NULL},
    {"spawn-posix", MODE_SPAWN, "--spawn=posix"},
    {"spawn-fork", MODE_SPAWN, "--spawn=fork"},
};

/* The modes that feed children through pipes, and those that sleep. */
#define PIPED_MODES (CLI_MODE(MODE_ENCRYPT) | CLI_MODE(MODE_PIPELINE))
#define SLEEP_MODES (CLI_MODE(MODE_SLEEP_SEQ) | CLI_MODE(MODE_SLEEP_PARALLEL))

struct settings {
    int mode, method;
    long long children, seconds_ms, bytes, timeout_ms, parent_mb;
    bool children_given, seconds_given, bytes_given;
    struct cli_common common;
};

/* ---- small helpers ------------------------------------------------------ */

static void *checked_calloc(size_t count, size_t size)
{
    void *memory = calloc(count ? count : 1, size);
    if (memory == NULL)
        fail_wrong("out of memory for %zu items", count);
    return memory;
}

static void random_bytes(unsigned char *data, size_t size)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail_sys("open /dev/urandom");
    for (size_t done = 0; done < size;) {
        ssize_t got = read(fd, data + done, size - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            fail_sys("read /dev/urandom");
        done += (size_t)got;
    }
    proc_close(&fd);
}

static void hex(const void *data, size_t size, char *text)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *bytes = data;
    for (size_t i = 0; i < size; i++) {
        text[2 * i] = digits[bytes[i] >> 4];
        text[2 * i + 1] = digits[bytes[i] & 15];
    }
    text[2 * size] = '\0';
}

/* The last TAIL_BYTES of OUTPUT in hex, as the book prints out[-10:]. */
static void hex_tail(const struct proc_output *output, char text[2 * TAIL_BYTES + 1])
{
    size_t tail = output->size < TAIL_BYTES ? output->size : TAIL_BYTES;
    hex(output->data + output->size - tail, tail, text);
}

/* The parent's environment plus ENTRY ("NAME=value"), replacing any NAME:
 * Python's env = os.environ.copy(); env[NAME] = value.  Free the array only. */
static char **environment_with(const char *entry)
{
    size_t count = 0, name_length = (size_t)(strchr(entry, '=') - entry) + 1, kept = 0;
    while (environ[count] != NULL)
        count++;
    char **env = checked_calloc(count + 2, sizeof *env);
    for (size_t i = 0; i < count; i++)
        if (strncmp(environ[i], entry, name_length) != 0)
            env[kept++] = environ[i];
    env[kept] = (char *)entry;
    return env;
}

static double ms_to_s(long long ms) { return (double)ms / 1000.0; }

/* ---- a family: the children of one step, stopped together on failure ---- */

struct family {
    struct proc *procs;
    size_t count, capacity;
    enum proc_method method;
};

static struct family family_new(size_t capacity, const struct settings *settings)
{
    return (struct family){.procs = checked_calloc(capacity, sizeof(struct proc)),
                           .capacity = capacity,
                           .method = (enum proc_method)settings->method};
}

/* Stops and reaps every child of FAMILY, closes its pipes, frees it. */
static void family_stop(struct family *family)
{
    for (size_t i = 0; i < family->count; i++)
        proc_stop(&family->procs[i], STOP_GRACE_S);
    free(family->procs);
    *family = (struct family){0};
}

/* Frees FAMILY after checking that all its children were reaped. */
static void family_free(struct family *family)
{
    for (size_t i = 0; i < family->count; i++)
        if (!family->procs[i].ended)
            fail_wrong("internal: child %zu of a family was not reaped", i);
    family_stop(family);
}

/* Starts ARGV as the next child of FAMILY.  When it cannot start (a missing
 * program), stops every child started so far and exits with EXIT_WRONG: no
 * child is left behind, and the message says which program is missing. */
static struct proc *family_start(struct family *family, char *const argv[],
                                 struct proc_options options)
{
    if (family->count == family->capacity)
        fail_wrong("internal: family of %zu children is full", family->capacity);
    options.method = family->method;
    struct proc *proc = &family->procs[family->count];
    int error = proc_spawn(proc, argv, &options);
    if (error != 0) {
        family_stop(family);
        fail_wrong("cannot start '%s': %s%s", argv[0], strerror(error),
                   error == ENOENT ? " (is it installed and on PATH?)"
                                   : fail_hint(error));
    }
    family->count++;
    return proc;
}

/* Waits for every child of FAMILY (waitpid, no time limit). */
static void family_wait(struct family *family)
{
    for (size_t i = 0; i < family->count; i++)
        proc_wait(&family->procs[i], -1);
}

/* How many children of FAMILY exited with status 0; describes the first that
 * did not into FIRST_FAILURE. */
static size_t family_succeeded(const struct family *family, char *first_failure, size_t size)
{
    size_t ok = 0;
    bool described = false;
    snprintf(first_failure, size, "none failed");
    for (size_t i = 0; i < family->count; i++) {
        if (proc_succeeded(&family->procs[i])) {
            ok++;
        } else if (!described) {
            described = true;
            char how[96];
            snprintf(first_failure, size, "child %zu %s", i + 1,
                     proc_describe(&family->procs[i], how, sizeof how));
        }
    }
    return ok;
}

/* The check every variant makes: each child exited with status 0 (Python's
 * check_returncode). */
static bool check_exits(struct report *report, const char *name, const struct family *family,
                        size_t expected)
{
    char first_failure[FAILURE_TEXT];
    size_t ok = family_succeeded(family, first_failure, sizeof first_failure);
    return report_check(report, name, ok == expected && family->count == expected,
                        "%zu of %zu children exited with status 0 (%s)", ok, expected,
                        first_failure);
}

static void free_io(struct proc_io *io, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        proc_output_free(&io[i].out);
        proc_output_free(&io[i].err);
    }
    free(io);
}

/* Runs one child of ARGV per IO entry, all at once, feeding IO[i].input and
 * collecting IO[i].out.  When SALTS is not NULL, ARGV[SALT_SLOT] becomes
 * SALTS[i] for child i.  Returns how many children exited with status 0 and
 * describes the first that did not into FIRST_FAILURE. */
static size_t filter_each(const struct settings *settings, char **argv, int salt_slot,
                          char (*salts)[SALT_HEX], char **env, struct proc_io *io, size_t count,
                          char first_failure[FAILURE_TEXT])
{
    struct family family = family_new(count, settings);
    for (size_t i = 0; i < count; i++) {
        if (salts != NULL)
            argv[salt_slot] = salts[i];
        family_start(&family, argv,
                     (struct proc_options){.in = {PROC_PIPE, -1}, .out = {PROC_PIPE, -1},
                                           .env = env});
    }
    proc_communicate_all(family.procs, io, count, -1);
    size_t ok = family_succeeded(&family, first_failure, FAILURE_TEXT);
    family_free(&family);
    return ok;
}

/* ---- sleep-seq, sleep-parallel: what parallel children buy -------------- */

static void sleep_argv(const struct settings *settings, char seconds[32], char *argv[3])
{
    cli_format_decimal(settings->seconds_ms, MS_DECIMALS, seconds, 32);
    argv[0] = "sleep";
    argv[1] = seconds;
    argv[2] = NULL;
}

static void run_sleep_parallel(const struct settings *settings, struct report *report)
{
    char seconds[32], *argv[3];
    sleep_argv(settings, seconds, argv);
    size_t n = (size_t)settings->children;
    struct family family = family_new(n, settings);
    double start = clock_now();
    for (size_t i = 0; i < n; i++)
        family_start(&family, argv, (struct proc_options){0});
    double started = clock_since(start);
    family_wait(&family); /* the book: communicate() on each in turn */
    double elapsed = clock_since(start), sleep_s = ms_to_s(settings->seconds_ms);
    report_elapsed(report, elapsed);
    check_exits(report, "returncodes", &family, n);
    report_check(report, "slept", elapsed >= sleep_s,
                 "all done after %.3f s; each child slept %.3f s", elapsed, sleep_s);
    family_free(&family);
    report_metric(report, "start_all_s", started, "s");
    report_metric(report, "start_per_child_s", started / (double)n, "s");
    report_metric(report, "overhead_s", elapsed - sleep_s, "s");
    report_note(report,
                "%zu children slept %.3f s each, side by side: %.3f s in all, %.1f ms more than "
                "one sleep; starting them took %.2f ms (%.0f us per child)",
                n, sleep_s, elapsed, 1000 * (elapsed - sleep_s), 1000 * started,
                1e6 * started / (double)n);
}

static void run_sleep_seq(const struct settings *settings, struct report *report)
{
    char seconds[32], *argv[3];
    sleep_argv(settings, seconds, argv);
    size_t n = (size_t)settings->children;
    struct family family = family_new(n, settings);
    double start = clock_now();
    for (size_t i = 0; i < n; i++)
        proc_wait(family_start(&family, argv, (struct proc_options){0}), -1);
    double elapsed = clock_since(start), total_s = (double)n * ms_to_s(settings->seconds_ms);
    report_elapsed(report, elapsed);
    check_exits(report, "returncodes", &family, n);
    report_check(report, "slept", elapsed >= total_s,
                 "all done after %.3f s; the children slept %.3f s one after another", elapsed,
                 total_s);
    family_free(&family);
    report_metric(report, "overhead_s", elapsed - total_s, "s");
    report_metric(report, "overhead_per_child_s", (elapsed - total_s) / (double)n, "s");
    report_note(report,
                "%zu children one after another: %.3f s, the sum of their sleeps plus %.0f us "
                "per child to start and reap it",
                n, elapsed, 1e6 * (elapsed - total_s) / (double)n);
}

/* ---- run, poll ---------------------------------------------------------- */

static void run_echo(const struct settings *settings, struct report *report)
{
    char *argv[] = {"echo", GREETING, NULL};
    struct family family = family_new(1, settings);
    struct proc_io io = {0};
    double start = clock_now();
    struct proc *child = family_start(&family, argv, (struct proc_options){.out = {PROC_PIPE, -1}});
    proc_communicate(child, &io, -1);
    report_elapsed(report, clock_since(start));
    check_exits(report, "returncode", &family, 1);
    const char *said = io.out.data != NULL ? io.out.data : "";
    report_check(report, "stdout", strcmp(said, GREETING "\n") == 0,
                 "the child said '%.*s', expected '" GREETING "' and a newline",
                 (int)strcspn(said, "\n"), said);
    report_note(report, "captured from the child: %.*s", (int)strcspn(said, "\n"), said);
    proc_output_free(&io.out);
    family_free(&family);
}

/* 1 + 2 + ... + N modulo 2^64, the way the loop's unsigned sum wraps. */
static uint64_t triangle(uint64_t n)
{
    return n % 2 == 0 ? (n / 2) * (n + 1) : n * ((n + 1) / 2);
}

static void run_poll(const struct settings *settings, struct report *report)
{
    char seconds[32] = "0.000001", *argv[] = {"sleep", seconds, NULL}; /* the book's child */
    if (settings->seconds_given)
        cli_format_decimal(settings->seconds_ms, MS_DECIMALS, seconds, sizeof seconds);
    struct family family = family_new(1, settings);
    uint64_t sum = 0, next = 1, polls_running = 0;
    double start = clock_now();
    struct proc *child = family_start(&family, argv, (struct proc_options){0});
    while (!proc_poll(child)) { /* Python: while proc.poll() is None */
        polls_running++;
        for (int k = 0; k < POLL_WORK_CHUNK; k++) /* the other work: sum integers */
            sum += next++;
    }
    report_elapsed(report, clock_since(start));
    check_exits(report, "returncode", &family, 1);
    report_check(report, "work", sum == triangle(next - 1),
                 "the parent summed 1..%llu between polls: %llu, closed form %llu",
                 (unsigned long long)(next - 1), (unsigned long long)sum,
                 (unsigned long long)triangle(next - 1));
    report_metric(report, "polls", (double)(polls_running + 1), "");
    report_metric(report, "polls_while_running", (double)polls_running, "");
    report_note(report,
                "`sleep %s` ran while the parent polled it %llu times, summing %d integers "
                "between polls",
                seconds, (unsigned long long)polls_running + 1, POLL_WORK_CHUNK);
    family_free(&family);
}

/* ---- encrypt, pipeline: children fed and chained through pipes ---------- */

static unsigned char **random_inputs(size_t count, size_t size)
{
    unsigned char **inputs = checked_calloc(count, sizeof *inputs);
    for (size_t i = 0; i < count; i++) {
        inputs[i] = checked_calloc(size, 1);
        random_bytes(inputs[i], size);
    }
    return inputs;
}

static void free_inputs(unsigned char **inputs, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(inputs[i]);
    free(inputs);
}

/* Decrypts each ciphertext in IO[i].out and compares it with INPUTS[i]. */
static size_t count_decrypting(const struct settings *settings, char **env,
                               const struct proc_io *io, unsigned char **inputs, size_t n)
{
    char *argv[] = {"openssl", "enc", "-d", "-des3", "-pbkdf2", "-pass", "env:password", NULL};
    struct proc_io *back = checked_calloc(n, sizeof *back);
    for (size_t i = 0; i < n; i++)
        back[i] = (struct proc_io){.input = io[i].out.data, .input_size = io[i].out.size};
    char first_failure[FAILURE_TEXT];
    bool all_exited = filter_each(settings, argv, -1, NULL, env, back, n, first_failure) == n;
    size_t same = 0;
    for (size_t i = 0; all_exited && i < n; i++)
        same += back[i].out.size == (size_t)settings->bytes &&
                memcmp(back[i].out.data, inputs[i], back[i].out.size) == 0;
    free_io(back, n);
    return same;
}

/* openssl enc writes "Salted__", the 8-byte salt, then whole 8-byte DES blocks
 * with at least one byte of padding. */
static size_t count_well_formed(const struct proc_io *io, size_t n, size_t input_size)
{
    size_t expected = 16 + (input_size / 8 + 1) * 8, ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += io[i].out.size == expected && memcmp(io[i].out.data, "Salted__", 8) == 0;
    return ok;
}

static void note_tails(struct report *report, const char *what, const struct proc_io *io,
                       size_t n, size_t stride)
{
    cJSON *tails = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        char tail[2 * TAIL_BYTES + 1];
        hex_tail(&io[i * stride].out, tail);
        report_note(report, "%s %zu ends with %s", what, i + 1, tail);
        cJSON_AddItemToArray(tails, cJSON_CreateString(tail));
    }
    report_data(report, "tails", tails);
}

static void run_encrypt(const struct settings *settings, struct report *report)
{
    char *argv[] = {"openssl", "enc", "-des3", "-pbkdf2", "-pass", "env:password", NULL};
    size_t n = (size_t)settings->children, size = (size_t)settings->bytes;
    char **env = environment_with(PASSWORD_ENTRY);
    unsigned char **inputs = random_inputs(n, size);
    struct proc_io *io = checked_calloc(n, sizeof *io);
    for (size_t i = 0; i < n; i++)
        io[i] = (struct proc_io){.input = inputs[i], .input_size = size};
    char first_failure[FAILURE_TEXT];
    double start = clock_now();
    size_t exited = filter_each(settings, argv, -1, NULL, env, io, n, first_failure);
    report_elapsed(report, clock_since(start));
    report_check(report, "returncodes", exited == n,
                 "%zu of %zu children exited with status 0 (%s)", exited, n, first_failure);
    report_check(report, "format", count_well_formed(io, n, size) == n,
                 "%zu of %zu outputs are 'Salted__', salt, and %zu bytes of 3DES blocks",
                 count_well_formed(io, n, size), n, (size / 8 + 1) * 8);
    size_t decrypted = count_decrypting(settings, env, io, inputs, n);
    report_check(report, "decrypts", decrypted == n,
                 "%zu of %zu ciphertexts decrypt (openssl enc -d) to the random input", decrypted,
                 n);
    note_tails(report, "ciphertext", io, n, 1);
    free_io(io, n);
    free_inputs(inputs, n);
    free(env);
}

/* Starts the N encrypt | hash pairs into FAMILY, interleaved (encrypt i at
 * 2i, its hash at 2i + 1), and gives each encrypt child its input. */
static void start_pipelines(struct family *family, char **env, char (*salts)[SALT_HEX],
                            unsigned char **inputs, size_t size, struct proc_io *io, size_t n)
{
    char *encrypt[] = {"openssl", "enc",          "-des3", "-pbkdf2", "-pass",
                       "env:password", "-S", NULL, NULL};
    char *hash[] = {"openssl", "dgst", "-sha256", "-binary", NULL};
    for (size_t i = 0; i < n; i++) {
        encrypt[7] = salts[i];
        struct proc *encrypter = family_start(
            family, encrypt,
            (struct proc_options){.in = {PROC_PIPE, -1}, .out = {PROC_PIPE, -1}, .env = env});
        family_start(family, hash,
                     (struct proc_options){.in = {PROC_FD, encrypter->out},
                                           .out = {PROC_PIPE, -1}});
        /* The hash child has its own copy of the pipe's read end now.  Ours
         * must go: while it is open, the encrypt child would not get SIGPIPE
         * if the hash child died, and would block on a full pipe forever. */
        proc_close(&encrypter->out);
        io[2 * i] = (struct proc_io){.input = inputs[i], .input_size = size};
    }
}

/* The same encryptions (same salts, so the same bytes) run on their own,
 * then hashed by openssl dgst: how many digests agree with the pipeline's. */
static size_t count_matching_digests(const struct settings *settings, char **env,
                                     char (*salts)[SALT_HEX], unsigned char **inputs,
                                     const struct proc_io *piped, size_t n)
{
    char *encrypt[] = {"openssl", "enc",          "-des3", "-pbkdf2", "-pass",
                       "env:password", "-S", NULL, NULL};
    char *hash[] = {"openssl", "dgst", "-sha256", "-binary", NULL};
    struct proc_io *cipher = checked_calloc(n, sizeof *cipher);
    struct proc_io *digest = checked_calloc(n, sizeof *digest);
    for (size_t i = 0; i < n; i++)
        cipher[i] = (struct proc_io){.input = inputs[i], .input_size = (size_t)settings->bytes};
    char first_failure[FAILURE_TEXT];
    bool exited = filter_each(settings, encrypt, 7, salts, env, cipher, n, first_failure) == n;
    for (size_t i = 0; i < n; i++)
        digest[i] = (struct proc_io){.input = cipher[i].out.data, .input_size = cipher[i].out.size};
    exited = filter_each(settings, hash, -1, NULL, NULL, digest, n, first_failure) == n && exited;
    size_t same = 0;
    for (size_t i = 0; exited && i < n; i++)
        same += piped[2 * i + 1].out.size == SHA256_BYTES && digest[i].out.size == SHA256_BYTES &&
                memcmp(piped[2 * i + 1].out.data, digest[i].out.data, SHA256_BYTES) == 0;
    free_io(cipher, n);
    free_io(digest, n);
    return same;
}

static void run_pipeline(const struct settings *settings, struct report *report)
{
    size_t n = (size_t)settings->children, size = (size_t)settings->bytes;
    char **env = environment_with(PASSWORD_ENTRY);
    unsigned char **inputs = random_inputs(n, size);
    /* A salt chosen here instead of by openssl makes the encryption
     * repeatable, so that the check can recompute each digest. */
    char(*salts)[SALT_HEX] = checked_calloc(n, sizeof *salts);
    for (size_t i = 0; i < n; i++) {
        unsigned char salt[SALT_BYTES];
        random_bytes(salt, sizeof salt);
        hex(salt, sizeof salt, salts[i]);
    }
    struct proc_io *io = checked_calloc(2 * n, sizeof *io);
    struct family family = family_new(2 * n, settings);
    double start = clock_now();
    start_pipelines(&family, env, salts, inputs, size, io, n);
    proc_communicate_all(family.procs, io, 2 * n, -1);
    report_elapsed(report, clock_since(start));
    check_exits(report, "returncodes", &family, 2 * n);
    family_free(&family);
    size_t matching = count_matching_digests(settings, env, salts, inputs, io, n);
    report_check(report, "digests", matching == n,
                 "%zu of %zu SHA-256 digests from the pipelines equal openssl dgst of the same "
                 "encryption run alone",
                 matching, n);
    note_tails(report, "digest", io + 1, n, 2);
    free_io(io, 2 * n);
    free(salts);
    free_inputs(inputs, n);
    free(env);
}

/* ---- timeout ------------------------------------------------------------ */

static void run_timeout(const struct settings *settings, struct report *report)
{
    char *argv[] = {"sleep", "10", NULL}; /* the book's child, which never gets to its end */
    double timeout_s = ms_to_s(settings->timeout_ms);
    struct family family = family_new(1, settings);
    struct proc_io io = {0};
    double start = clock_now();
    struct proc *child = family_start(&family, argv, (struct proc_options){0});
    bool ended = proc_communicate(child, &io, timeout_s); /* communicate(timeout=0.1) */
    double waited = clock_since(start);
    if (!ended) { /* except TimeoutExpired: */
        proc_terminate(child);
        proc_wait(child, -1);
    }
    double elapsed = clock_since(start);
    report_elapsed(report, elapsed);
    char how[96];
    proc_describe(child, how, sizeof how);
    report_check(report, "timed out", !ended,
                 "communicate(timeout=%.3f) gave up after %.3f s with the child running", timeout_s,
                 waited);
    report_check(report, "returncode", child->ended && proc_returncode(child) == -15,
                 "the child %s: returncode %d, Python's -15 for SIGTERM", how,
                 child->ended ? proc_returncode(child) : 0);
    report_metric(report, "returncode", child->ended ? proc_returncode(child) : 0, "");
    report_metric(report, "waited_s", waited, "s");
    report_note(report, "`sleep 10` %s after %.3f s in all: the timeout, not the child, set the "
                        "time", how, elapsed);
    family_free(&family);
}

/* ---- spawn: the price of one child -------------------------------------- */

/* A parent of MB mebibytes, touched so that every page is mapped: fork must
 * copy the page tables that map them, posix_spawn does not. */
static unsigned char *grow_parent(long long mb)
{
    if (mb == 0)
        return NULL;
    size_t size = (size_t)mb << 20;
    unsigned char *ballast = malloc(size);
    if (ballast == NULL)
        fail_wrong("out of memory for --parent-mb=%lld", mb);
    memset(ballast, 1, size);
    return ballast;
}

static void run_spawn(const struct settings *settings, struct report *report)
{
    char *argv[] = {"true", NULL};
    size_t n = (size_t)settings->children;
    unsigned char *ballast = grow_parent(settings->parent_mb);
    struct family family = family_new(n, settings);
    double start = clock_now();
    for (size_t i = 0; i < n; i++)
        proc_wait(family_start(&family, argv, (struct proc_options){0}), -1);
    double elapsed = clock_since(start);
    report_elapsed(report, elapsed);
    check_exits(report, "returncodes", &family, n);
    family_free(&family);
    report_metric(report, "per_child_s", elapsed / (double)n, "s");
    report_note(report, "%zu children `true`, each started with %s and reaped before the next: "
                        "%.0f us per child with a %lld MiB parent",
                n, settings->method == PROC_FORK_EXEC ? "fork + exec" : "posix_spawn",
                1e6 * elapsed / (double)n, settings->parent_mb);
    size_t ballast_size = (size_t)settings->parent_mb << 20;
    if (ballast != NULL)
        report_check(report, "parent", ballast[0] == 1 && ballast[ballast_size - 1] == 1,
                     "the parent's %lld MiB stayed mapped and intact", settings->parent_mb);
    free(ballast);
}

/* ---- nothing left behind ------------------------------------------------ */

static void check_nothing_left(struct report *report, int fds_before, bool children_before)
{
    int fds_after = proc_open_fd_count();
    report_check(report, "descriptors", fds_after == fds_before,
                 "%d open before the run, %d after", fds_before, fds_after);
    bool children_after = proc_has_children();
    if (children_before)
        report_check(report, "children", true,
                     "this process already had children when it started: not counted");
    else
        report_check(report, "children", !children_after, "%s",
                     children_after ? "a child is left, running or unreaped"
                                    : "every child was reaped");
}

/* ---- the program -------------------------------------------------------- */

/* The limits of the piped modes, which hold pipes and bytes per child. */
static void check_piped_limits(const struct settings *s)
{
    bool piped = (PIPED_MODES & CLI_MODE(s->mode)) != 0;
    if (piped && s->children > MAX_PIPED_CHILDREN)
        fail_usage("--children must be at most %d with --mode=%s: each child holds pipes open",
                   MAX_PIPED_CHILDREN, mode_names[s->mode]);
    if (piped && s->children * s->bytes > MAX_TOTAL_BYTES)
        fail_usage("--children times --bytes must be at most %lld MiB", MAX_TOTAL_BYTES >> 20);
}

static long long default_children(const struct settings *s)
{
    bool quick = s->common.size == CLI_SIZE_QUICK, large = s->common.size == CLI_SIZE_LARGE;
    switch (s->mode) {
    case MODE_SLEEP_PARALLEL:
        return large ? 100 : 10;
    case MODE_SLEEP_SEQ:
        return 10;
    case MODE_ENCRYPT:
    case MODE_PIPELINE:
        return large ? 2LL * sysinfo_online_cores() : 3;
    case MODE_SPAWN:
        return quick ? 10 : large ? 1000 : 100;
    default:
        return 1;
    }
}

/* The defaults that depend on the mode as well as the size (cli's
 * CLI_BY_SIZE cannot say those): the source's parameters at book size;
 * quick keeps a test run short. */
static void apply_mode_defaults(struct settings *s)
{
    bool large = s->common.size == CLI_SIZE_LARGE;
    if (!s->children_given)
        s->children = default_children(s);
    if (!s->bytes_given)
        s->bytes = large ? 4LL << 20 : s->mode == MODE_PIPELINE ? 100 : 10;
}

static struct settings parse_settings(int argc, char **argv)
{
    /* The defaults of --children and --bytes shown by --help are
     * sleep-seq's and encrypt's; apply_mode_defaults sets each mode's own
     * when the option is not given. */
    struct settings s = {.method = PROC_POSIX_SPAWN, .children = 10, .bytes = 10,
                         .timeout_ms = 100};
    const struct cli_option options[] = {
        {.name = "spawn", .kind = CLI_CHOICE, .choices = method_names, .choice = &s.method,
         .help = "how children are started: posix (posix_spawn) or fork (fork + exec)"},
        {.name = "children", .kind = CLI_INT, .min = 1, .max = MAX_CHILDREN,
         .integer = &s.children, .given = &s.children_given,
         .modes = SLEEP_MODES | PIPED_MODES | CLI_MODE(MODE_SPAWN),
         .help = "how many children: sleep-* 10, encrypt and pipeline 3, spawn 100"},
        {.name = "seconds", .kind = CLI_DECIMAL, .decimals = MS_DECIMALS, .min = 0,
         .max = 60000, .integer = &s.seconds_ms, .given = &s.seconds_given,
         .by_size = CLI_BY_SIZE(20, 1000, 1000), .modes = SLEEP_MODES | CLI_MODE(MODE_POLL),
         .help = "seconds each child sleeps (poll's default: 0.000001, the book's)"},
        {.name = "bytes", .kind = CLI_INT, .min = 1, .max = MAX_BYTES, .integer = &s.bytes,
         .given = &s.bytes_given, .modes = PIPED_MODES,
         .help = "random bytes fed to each child: encrypt 10, pipeline 100, large 4 MiB"},
        {.name = "timeout", .kind = CLI_DECIMAL, .decimals = MS_DECIMALS, .min = 1, .max = 5000,
         .integer = &s.timeout_ms, .modes = CLI_MODE(MODE_TIMEOUT),
         .help = "seconds to wait for `sleep 10` before terminating it"},
        {.name = "parent-mb", .kind = CLI_INT, .min = 0, .max = 4096, .integer = &s.parent_mb,
         .modes = CLI_MODE(MODE_SPAWN),
         .help = "MiB the parent allocates and touches first, to see fork's cost grow"},
    };
    const struct cli_program program = {
        .name = "subprocess",
        .summary = "Start child processes one after another or side by side, feed them and "
                   "chain them through pipes, stop them on a timeout (Effective Python item 52).",
        .epilogue = "encrypt and pipeline run the openssl command (Debian package openssl).\n"
                    "Every run also checks that no child and no open descriptor is left.",
        .modes = mode_names,
        .mode_help = "which step of the item to run",
        .mode = &s.mode,
        CLI_OPTIONS(options),
        CLI_VARIANTS(variants),
    };
    cli_parse_or_exit(&program, argc, argv, &s.common);
    apply_mode_defaults(&s);
    check_piped_limits(&s);
    return s;
}

static const char *variant_name(const struct settings *s)
{
    if (s->mode == MODE_SPAWN)
        return s->method == PROC_FORK_EXEC ? "spawn-fork" : "spawn-posix";
    return mode_names[s->mode];
}

static void describe(struct report *report, const struct settings *s)
{
    char text[32];
    report_param_text(report, "mode", mode_names[s->mode]);
    report_param_text(report, "size", cli_size_name(s->common.size));
    report_param_text(report, "spawn", method_names[s->method]);
    if (s->mode == MODE_SLEEP_SEQ || s->mode == MODE_SLEEP_PARALLEL || s->mode == MODE_SPAWN ||
        s->mode == MODE_ENCRYPT || s->mode == MODE_PIPELINE)
        report_param_int(report, "children", s->children);
    if (s->mode == MODE_SLEEP_SEQ || s->mode == MODE_SLEEP_PARALLEL ||
        (s->mode == MODE_POLL && s->seconds_given)) {
        cli_format_decimal(s->seconds_ms, MS_DECIMALS, text, sizeof text);
        report_param_text(report, "seconds", text);
    }
    if (s->mode == MODE_ENCRYPT || s->mode == MODE_PIPELINE)
        report_param_int(report, "bytes", s->bytes);
    if (s->mode == MODE_TIMEOUT) {
        cli_format_decimal(s->timeout_ms, MS_DECIMALS, text, sizeof text);
        report_param_text(report, "timeout", text);
    }
    if (s->mode == MODE_SPAWN)
        report_param_int(report, "parent_mb", s->parent_mb);
}

int main(int argc, char **argv)
{
    static void (*const run[])(const struct settings *, struct report *) = {
        [MODE_SLEEP_SEQ] = run_sleep_seq, [MODE_SLEEP_PARALLEL] = run_sleep_parallel,
        [MODE_RUN] = run_echo,            [MODE_POLL] = run_poll,
        [MODE_ENCRYPT] = run_encrypt,     [MODE_PIPELINE] = run_pipeline,
        [MODE_TIMEOUT] = run_timeout,     [MODE_SPAWN] = run_spawn,
    };
    struct settings settings = parse_settings(argc, argv);
    int fds_before = proc_open_fd_count();
    bool children_before = proc_has_children();
    struct report *report = report_new("subprocess", variant_name(&settings));
    describe(report, &settings);
    run[settings.mode](&settings, report);
    check_nothing_left(report, fds_before, children_before);
    return report_finish(report, settings.common.json, stdout);
}
