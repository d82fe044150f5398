/* sum_squares_mpi — the tasks of sum_squares spread over MPI ranks: what
 * does a process cost when MPI starts it and talks to it, on one machine and
 * across several, beside a pool of forked processes with pipes?
 *
 * Source: the study note of seed 001 (after Real Python's "Speed up your
 * Python program with concurrency"): sum(i * i for i in range(n)) for the 20
 * numbers n = 5000000 + x, x in 0..19, one after the other and with
 * multiprocessing.Pool().map.  Seed 003 goes on to tools that spread Python
 * processes over machines (Ray, Pathos); in C that engine is MPI: one binary
 * started as N ranks on one host or many.
 *
 * Variants (--mode):
 *   seq             the tasks one after the other: sum_squares's own code
 *   fork-processes  sum_squares's pool of --workers forked children, one task
 *                   at a time down a pipe: the same code, the baseline that
 *                   MPI is held against
 *   mpi-static      --ranks ranks; rank r sums the r-th contiguous block of
 *                   tasks, then one MPI_Reduce brings every sum to rank 0: an
 *                   array of 128-bit slots, each filled by the rank that owns
 *                   its task and zero elsewhere, added by a custom MPI_Op that
 *                   carries from the low 64-bit word into the high one
 *   mpi-dynamic     master and workers: each worker sends rank 0 the sum of
 *                   its last task (two 64-bit words) and gets the next task,
 *                   point to point, until rank 0 says stop.  Rank 0 sums
 *                   tasks too and answers the workers at the kernel's
 *                   checkpoints (every 65536 elements): a master that only
 *                   waited would spin on a core, as Open MPI's blocking
 *                   receives poll
 *
 * Started without mpirun, an mpi-* mode is its own launcher: it runs Open
 * MPI's mpiexec on this binary (-np --ranks, the flags that root and more
 * ranks than cores need, --hostfile passed through) and waits for it, so that
 * hyperfine times the whole job from outside (interrupted, it stops the job
 * and ends after it); rank 0 reports the time inside
 * (from the moment every rank is ready) and each rank's startup: from the
 * launcher starting mpiexec to the end of that rank's MPI_Init.
 *
 * Every sum is exact and checked against the closed form, as in sum_squares.
 */
#include "sum_squares_mpi.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mpi.h>

#include "cli.h"
#include "clock.h"
#include "fail.h"
#include "proc.h"
#include "report.h"
#include "sum_squares_work.h"
#include "sysinfo.h"

/* The launcher passes the words of mpiexec's command line that it writes
 * itself (--allow-run-as-root, --oversubscribe, -x) in Open MPI's spelling. */
#ifndef OMPI_MAJOR_VERSION
#error "sum_squares_mpi launches Open MPI's mpiexec; build it against Open MPI"
#endif

#ifndef SUM_SQUARES_MPIEXEC
#define SUM_SQUARES_MPIEXEC "mpiexec"
#endif

/* Where the launcher leaves, for every rank, the time it started mpiexec. */
#define LAUNCHED_ENV "CONCLAB_MPI_LAUNCHED"

#define MAX_PROCESSES 1024

/* ---- the command line --------------------------------------------------- */

enum mode { MODE_SEQ, MODE_FORK, MODE_MPI_STATIC, MODE_MPI_DYNAMIC };
static const char *const mode_names[] = {"seq", "fork-processes", "mpi-static", "mpi-dynamic",
                                         NULL};

static const struct cli_variant variants[] = {
    {"seq", MODE_SEQ, NULL},
    {"fork-processes", MODE_FORK, NULL},
    {"mpi-static", MODE_MPI_STATIC, NULL},
    {"mpi-dynamic", MODE_MPI_DYNAMIC, NULL},
};

#define MPI_MODES (CLI_MODE(MODE_MPI_STATIC) | CLI_MODE(MODE_MPI_DYNAMIC))

struct settings {
    int mode;
    long long workers, ranks, base, tasks;
    bool ranks_given;
    const char *hostfile;
    struct cli_common common;
};

static bool is_mpi(int mode) { return mode == MODE_MPI_STATIC || mode == MODE_MPI_DYNAMIC; }

/* True when WORD is KEY=VALUE: KEY letters, '_' or '-', VALUE not empty. */
static bool is_setting(const char *word)
{
    size_t key = strspn(word, "abcdefghijklmnopqrstuvwxyz_-");
    return key > 0 && word[key] == '=' && word[key + 1] != '\0';
}

/* True when LINE (a comment cut off) is blank or "HOST [KEY=VALUE]...", the
 * shape of an Open MPI hostfile line ("node01 slots=4"). */
static bool is_host_line(char *line)
{
    static const char host_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789.-_:[]@+";
    char *rest = NULL;
    char *word = strtok_r(line, " \t\r\n", &rest);
    if (word == NULL)
        return true;
    if (word[strspn(word, host_chars)] != '\0' || strchr(word, '=') != NULL)
        return false;
    while ((word = strtok_r(NULL, " \t\r\n", &rest)) != NULL)
        if (!is_setting(word))
            return false;
    return true;
}

/* --hostfile must be a readable file of host lines, at least one: checked
 * here, in one line that names the option, before mpiexec would answer a
 * directory or a stray file with pages of its parser's complaints. */
static void check_hostfile(const char *path)
{
    char quoted[CLI_QUOTED_MAX];
    cli_quote(path, quoted, sizeof quoted);
    FILE *file = fopen(path, "r");
    if (file == NULL)
        fail_usage("--hostfile='%s': cannot read it: %s", quoted, strerror(errno));
    struct stat info;
    if (fstat(fileno(file), &info) != 0 || !S_ISREG(info.st_mode)) {
        fclose(file);
        fail_usage("--hostfile='%s': not a file of host lines ('HOST slots=N')", quoted);
    }
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    int number = 0, hosts = 0;
    while ((length = getline(&line, &capacity, file)) >= 0) {
        number++;
        bool text = strlen(line) == (size_t)length; /* no NUL byte inside */
        line[strcspn(line, "#")] = '\0';
        bool blank = line[strspn(line, " \t\r\n")] == '\0';
        if (!text || !is_host_line(line)) {
            free(line);
            fclose(file);
            fail_usage("--hostfile='%s': line %d is not 'HOST [slots=N]...'", quoted, number);
        }
        hosts += !blank;
    }
    bool failed = ferror(file);
    free(line);
    fclose(file);
    if (failed)
        fail_usage("--hostfile='%s': cannot read it", quoted);
    if (hosts == 0)
        fail_usage("--hostfile='%s': names no host", quoted);
}

static const struct cli_sweep sweep[] = {
    {"mpi-ranks", MODE_MPI_STATIC, "--ranks={workers}", false},
    {"processes", MODE_FORK, "--workers={workers}", false},
};

static struct settings parse_settings(int argc, char **argv)
{
    struct settings settings = {.workers = sysinfo_online_cores(),
                                .ranks = sysinfo_online_cores()};
    const struct cli_option options[] = {
        {.name = "workers", .kind = CLI_INT, .min = 1, .max = MAX_PROCESSES,
         .integer = &settings.workers, .modes = CLI_MODE(MODE_FORK),
         .help = "size of the pool; default: online cores"},
        {.name = "ranks", .kind = CLI_INT, .min = 1, .max = MAX_PROCESSES,
         .integer = &settings.ranks, .given = &settings.ranks_given, .modes = MPI_MODES,
         .help = "ranks mpiexec starts (-np); default: online cores, at most --tasks, "
                 "or every slot of --hostfile"},
        {.name = "hostfile", .kind = CLI_TEXT, .text = &settings.hostfile, .metavar = "FILE",
         .modes = MPI_MODES,
         .help = "the hosts to run on, passed to mpiexec --hostfile (lines 'HOST "
                 "slots=N'); none: this machine"},
        SUM_SQUARES_CLI_OPTIONS(&settings.base, &settings.tasks),
    };
    const struct cli_program program = {
        .name = "sum_squares_mpi",
        .summary = "Sum i*i for i below n, for 20 n near 5000000, sequentially, in a pool of "
                   "forked processes, or over MPI ranks with a static or a dynamic split "
                   "(the note “[Python] 동시성 프로그래밍”, beyond one machine).",
        .epilogue = "Without mpirun, an mpi-* mode runs " SUM_SQUARES_MPIEXEC
                    " on this program itself; under mpirun (or mpiexec -np N) it is one "
                    "rank.\nSums are exact 128-bit integers, checked against (n-1)n(2n-1)/6.",
        .modes = mode_names,
        .mode_help = "how the tasks are run",
        .mode = &settings.mode,
        CLI_OPTIONS(options),
        CLI_VARIANTS(variants),
        CLI_SWEEP(sweep),
        /* From the book's n up to seconds of work per variant: where MPI's
         * start-up (0.1-0.25 s on one host) is paid back. */
        .size_sweep = "base=5000000,15000000,50000000,150000000",
    };
    cli_parse_or_exit(&program, argc, argv, &settings.common);
    if (settings.hostfile != NULL)
        check_hostfile(settings.hostfile);
    sum_squares_check_range(settings.base, settings.tasks);
    /* A rank without a task would only add its startup. */
    if (!settings.ranks_given && settings.ranks > settings.tasks)
        settings.ranks = settings.tasks;
    return settings;
}

/* ---- the report ---------------------------------------------------------- */

/* What rank 0 learns about each rank. */
struct rank_info {
    double startup_s; /* launcher started mpiexec -> MPI_Init returned; NAN if unknown */
    double init_s;    /* the MPI_Init call alone */
    char host[MPI_MAX_PROCESSOR_NAME];
};

/* Messages and bytes that carried tasks and sums, counted by rank 0. */
struct traffic {
    long long messages, bytes;
};

/* Cores that can work at once: the workers, at most one per task, and on one
 * host at most its cores. */
static long long parallelism(long long workers, long long tasks, bool one_host)
{
    long long usable = workers < tasks ? workers : tasks;
    if (one_host && usable > sysinfo_online_cores())
        usable = sysinfo_online_cores();
    return usable;
}

/* Parameters, speeds, the elapsed time, the checks and the sums. */
static void report_work(struct report *report, const struct settings *settings,
                        const struct sum_squares_tasks *tasks, double elapsed, long long workers,
                        bool one_host)
{
    report_param_text(report, "mode", mode_names[settings->mode]);
    report_param_text(report, "size", cli_size_name(settings->common.size));
    report_param_int(report, "base", settings->base);
    report_param_int(report, "tasks", settings->tasks);
    double elements = sum_squares_elements(tasks);
    double ns = elapsed * 1e9 / elements;
    long long busy = parallelism(workers, settings->tasks, one_host);
    report_metric(report, "elements", elements, "");
    report_metric(report, "ns_per_element", ns, "ns");
    report_metric(report, "core_ns_per_element", ns * (double)busy, "ns");
    /* The tasks are nearly equal: the busiest worker takes ceil(tasks/workers). */
    long long rounds = (settings->tasks + workers - 1) / workers;
    double ideal = (double)settings->tasks / (double)rounds;
    if (ideal > (double)busy)
        ideal = (double)busy;
    report_metric(report, "ideal_speedup", ideal, "x");
    report_elapsed(report, elapsed);
    sum_squares_check_sums(report, tasks);
    sum_squares_attach_sums(report, tasks);
}

/* ---- seq and fork-processes: sum_squares's code -------------------------- */

static int run_local(const struct settings *settings)
{
    struct sum_squares_tasks tasks =
        sum_squares_make_tasks((uint64_t)settings->base, (size_t)settings->tasks);
    long long workers = settings->mode == MODE_FORK ? settings->workers : 1;
    double start = clock_now();
    if (settings->mode == MODE_FORK)
        sum_squares_run_processes(&tasks, (size_t)workers);
    else
        sum_squares_run_seq(&tasks);
    double elapsed = clock_since(start);

    struct report *report = report_new("sum_squares_mpi", mode_names[settings->mode]);
    report_work(report, settings, &tasks, elapsed, workers, true);
    if (settings->mode == MODE_FORK)
        report_param_int(report, "workers", workers);
    report_note(report, "the same code as sum_squares --mode=%s, timed here beside MPI",
                settings->mode == MODE_FORK ? "processes" : "seq");
    sum_squares_free_tasks(&tasks);
    return report_finish(report, settings->common.json, stdout);
}

/* ---- the launcher -------------------------------------------------------- */

/* Seconds on the wall clock.  Unlike CLOCK_MONOTONIC it means the same on
 * every host of a cluster, as far as NTP keeps their clocks together. */
static double wall_now(void)
{
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0)
        fail_sys("clock_gettime");
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* True when this process is a rank that mpirun (or srun) started: Open MPI,
 * PMIx and the older PMI all leave the rank in the environment. */
static bool in_mpi_job(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMIX_RANK") != NULL ||
           getenv("PMI_RANK") != NULL;
}

/* This program's own path, for mpiexec to start on every host: the binary
 * must lie at the same path on each of them. */
static void own_path(char *buf, size_t size)
{
    ssize_t length = readlink("/proc/self/exe", buf, size - 1);
    if (length < 0)
        fail_sys("readlink /proc/self/exe");
    if ((size_t)length == size - 1)
        fail_wrong("the path of this program is longer than %zu bytes", size - 2);
    buf[length] = '\0';
}

/* Descriptors mpiexec needs: for its event loop, sockets and pipes, and
 * about four more for each rank it starts (measured with Open MPI 4.1).
 * Short of them, mpiexec does not fail, it hangs: the launcher refuses
 * first, with twice the measured margin. */
#define MPIEXEC_DESCRIPTORS 32
#define MPIEXEC_DESCRIPTORS_PER_RANK 8

static void check_descriptors(long long ranks)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        fail_sys("getrlimit");
    unsigned long long needed =
        MPIEXEC_DESCRIPTORS + MPIEXEC_DESCRIPTORS_PER_RANK * (unsigned long long)ranks;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed)
        fail_wrong("mpiexec needs about %llu descriptors for %lld rank(s), but ulimit -n "
                   "allows %llu",
                   needed, ranks, (unsigned long long)limit.rlim_cur);
}

/* mpiexec's threads take their stacks from ulimit -s (Open MPI sets no size
 * of its own): below 224 KiB it died of SIGSEGV here (Open MPI 4.1).  The
 * launcher refuses first, with about twice the measured need. */
#define MPIEXEC_STACK_KB 512

static void check_stack_for_mpiexec(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_STACK, &limit) != 0)
        fail_sys("getrlimit");
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < (rlim_t)MPIEXEC_STACK_KB * 1024)
        fail_wrong("mpiexec needs a stack limit of about %d KiB, but ulimit -s allows %llu",
                   MPIEXEC_STACK_KB, (unsigned long long)limit.rlim_cur / 1024);
}

/* Rank 0 prints the report into mpiexec, which copies it to its own stdout
 * and, when that is closed, drops it without a word and exits 0.  The other
 * programs fail to write their report (exit 1); so does the launcher, before
 * the job starts. */
static void check_stdout(void)
{
    int flags = fcntl(STDOUT_FILENO, F_GETFL);
    if (flags < 0)
        fail_sys("stdout");
    if ((flags & O_ACCMODE) == O_RDONLY)
        fail_wrong("stdout: open for reading only: the report could not be written");
}

/* Runs mpiexec on this binary with the same arguments and waits for it.
 * Under valgrind only this side is checked (valgrind does not follow the
 * exec): Open MPI's libraries report leaks and uninitialised bytes of their
 * own, in MPI_Init and in their progress threads, which Debian's suppression
 * file does not cover, so memcheck of the ranks would judge Open MPI. */
static int launch(const struct settings *settings, int argc, char **argv)
{
    char self[PATH_MAX], ranks[32];
    check_stdout();
    check_descriptors(settings->ranks);
    check_stack_for_mpiexec();
    own_path(self, sizeof self);
    snprintf(ranks, sizeof ranks, "%lld", settings->ranks);
    char **args = sum_squares_calloc((size_t)argc + 20, sizeof *args);
    size_t n = 0;
    args[n++] = SUM_SQUARES_MPIEXEC;
    if (geteuid() == 0) /* Open MPI refuses root unless told: containers run as root */
        args[n++] = "--allow-run-as-root";
    if (settings->hostfile != NULL) {
        args[n++] = "--hostfile";
        args[n++] = (char *)settings->hostfile;
    } else {
        if (settings->ranks > sysinfo_online_cores())
            args[n++] = "--oversubscribe"; /* more ranks than cores, on purpose */
        /* On one machine the ranks talk through shared memory whatever the
         * messaging layer; ob1 goes straight there, where the default
         * choice first probes network fabrics (libfabric, PSM, UCX) that a
         * laptop or a container lacks: 200 ms of MPI_Init on Debian's
         * build.  A pml chosen in the environment wins. */
        if (getenv("OMPI_MCA_pml") == NULL) {
            args[n++] = "--mca";
            args[n++] = "pml";
            args[n++] = "ob1";
        }
    }
    if (settings->hostfile == NULL || settings->ranks_given) {
        args[n++] = "-np";
        args[n++] = ranks;
    }
    args[n++] = "-x"; /* the launch time, to the ranks on other hosts too */
    args[n++] = LAUNCHED_ENV;
    args[n++] = self;
    for (int i = 1; i < argc; i++)
        args[n++] = argv[i];
    args[n] = NULL;

    char launched[64];
    snprintf(launched, sizeof launched, "%.6f", wall_now());
    if (setenv(LAUNCHED_ENV, launched, 1) != 0)
        fail_sys("setenv");
    /* A tracked child (children.h): SIGINT or SIGTERM to the launcher reach
     * mpiexec, and the launcher ends only after it, once mpiexec has stopped
     * its ranks (about a second).  Its stdin is /dev/null: mpiexec forwards
     * stdin to rank 0 and would swallow what a calling script meant for
     * itself (the next lines of a `while read` loop). */
    const struct proc_options options = {.in = {.how = PROC_NULL}};
    struct proc mpiexec;
    int error = proc_spawn(&mpiexec, args, &options);
    free(args);
    if (error != 0)
        fail_code("posix_spawn " SUM_SQUARES_MPIEXEC, error);
    proc_wait(&mpiexec, -1);
    int code = proc_returncode(&mpiexec);
    if (code == EXIT_RIGHT || code == EXIT_WRONG || code == EXIT_USAGE)
        return code;
    char how[128];
    fail_wrong("%s %s", SUM_SQUARES_MPIEXEC, proc_describe(&mpiexec, how, sizeof how));
}

/* ---- a rank -------------------------------------------------------------- */

/* Prints "prog: WHAT: WHY" and ends the whole job, not this rank alone:
 * the other ranks would wait for it forever. */
static _Noreturn void mpi_fail(const char *what, const char *why)
{
    fprintf(stderr, "%s: %s: %s\n", fail_program(), what, why);
    int initialized = 0;
    if (MPI_Initialized(&initialized) == MPI_SUCCESS && initialized)
        MPI_Abort(MPI_COMM_WORLD, EXIT_WRONG);
    exit(EXIT_WRONG);
}

/* Every MPI call is checked: MPI_COMM_WORLD returns its errors here. */
static void mpi_check(int rc, const char *call)
{
    if (rc == MPI_SUCCESS)
        return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(rc, text, &length) != MPI_SUCCESS)
        snprintf(text, sizeof text, "MPI error %d", rc);
    mpi_fail(call, text);
}

/* When the launcher started mpiexec, from its environment; NAN without one
 * (mpirun typed by hand). */
static double launch_time(void)
{
    const char *text = getenv(LAUNCHED_ENV);
    if (text == NULL)
        return NAN;
    char *end = NULL;
    errno = 0;
    double when = strtod(text, &end);
    return errno == 0 && end != text && *end == '\0' && when > 0 ? when : NAN;
}

/* ---- mpi-static: blocks and one reduction ---- */

/* The custom MPI_Op: adds sums of two 64-bit words elementwise. */
static void add_sums(void *in, void *inout, int *count, MPI_Datatype *type)
{
    (void)type; /* always the two-word sum type it was made for */
    sum_squares_mpi_add_words(in, inout, (size_t)*count);
}

static void run_static(struct sum_squares_tasks *tasks, int rank, int ranks,
                       struct traffic *traffic)
{
    size_t count = tasks->count;
    size_t first = sum_squares_mpi_block_start((size_t)rank, (size_t)ranks, count);
    size_t end = sum_squares_mpi_block_start((size_t)rank + 1, (size_t)ranks, count);
    uint64_t *mine = sum_squares_calloc(2 * count, sizeof *mine);
    uint64_t *all = rank == 0 ? sum_squares_calloc(2 * count, sizeof *all) : NULL;
    for (size_t k = first; k < end; k++)
        sum_squares_mpi_to_words(sum_squares_task(tasks->n[k], NULL, NULL), &mine[2 * k]);

    MPI_Datatype sum_type;
    MPI_Op add;
    mpi_check(MPI_Type_contiguous(2, MPI_UINT64_T, &sum_type), "MPI_Type_contiguous");
    mpi_check(MPI_Type_commit(&sum_type), "MPI_Type_commit");
    mpi_check(MPI_Op_create(add_sums, 1, &add), "MPI_Op_create");
    mpi_check(MPI_Reduce(mine, all, (int)count, sum_type, add, 0, MPI_COMM_WORLD), "MPI_Reduce");
    mpi_check(MPI_Op_free(&add), "MPI_Op_free");
    mpi_check(MPI_Type_free(&sum_type), "MPI_Type_free");
    if (rank == 0) {
        for (size_t k = 0; k < count; k++) {
            tasks->sum[k] = sum_squares_mpi_from_words(&all[2 * k]);
            tasks->worker[k] = (int)sum_squares_mpi_block_owner(k, (size_t)ranks, count);
        }
        /* Every other rank's array, whatever the shape of the reduction tree. */
        *traffic = (struct traffic){ranks - 1, (long long)(ranks - 1) * (long long)count * 16};
    }
    free(mine);
    free(all);
}

/* ---- mpi-dynamic: master and workers ---- */

enum { TAG_RESULT = 1, TAG_TASK = 2, TAG_STOP = 3 };

/* In a result: no task yet, the worker's first request. */
#define NO_TASK UINT64_MAX

/* Rank 0's state: the next task nobody has, what each worker is summing,
 * and the one receive it keeps posted for any worker's next result. */
struct master {
    struct sum_squares_tasks *tasks;
    size_t next;
    int workers, stopped;
    uint64_t *given;  /* per rank: the task it was sent, NO_TASK when none */
    int *answers;     /* per task: how many sums came back for it */
    long long strays; /* results for another task than the one given */
    MPI_Request request;
    uint64_t result[3]; /* index, low word, high word */
    struct traffic *traffic;
};

static void post_receive(struct master *master)
{
    mpi_check(MPI_Irecv(master->result, 3, MPI_UINT64_T, MPI_ANY_SOURCE, TAG_RESULT,
                        MPI_COMM_WORLD, &master->request),
              "MPI_Irecv");
}

static void record(struct master *master, size_t k, sum_squares_u128 sum, int rank)
{
    master->tasks->sum[k] = sum;
    master->tasks->worker[k] = rank;
    master->answers[k]++;
}

/* Takes the result that came from SOURCE and sends it the next task, or
 * stop when none is left. */
static void answer(struct master *master, int source)
{
    struct sum_squares_tasks *tasks = master->tasks;
    uint64_t index = master->result[0];
    master->traffic->messages++;
    master->traffic->bytes += (long long)sizeof master->result;
    if (index != NO_TASK && index == master->given[source])
        record(master, (size_t)index, sum_squares_mpi_from_words(&master->result[1]), source);
    else if (index != NO_TASK)
        master->strays++;
    master->traffic->messages++;
    if (master->next < tasks->count) {
        size_t k = master->next++;
        uint64_t task[2] = {k, tasks->n[k]};
        mpi_check(MPI_Send(task, 2, MPI_UINT64_T, source, TAG_TASK, MPI_COMM_WORLD), "MPI_Send");
        master->given[source] = k;
        master->traffic->bytes += (long long)sizeof task;
    } else {
        mpi_check(MPI_Send(NULL, 0, MPI_UINT64_T, source, TAG_STOP, MPI_COMM_WORLD), "MPI_Send");
        master->given[source] = NO_TASK;
        master->stopped++;
    }
    if (master->stopped < master->workers)
        post_receive(master);
}

/* Called by the kernel between blocks of rank 0's own task: answers every
 * worker that is waiting, without blocking. */
static void serve_waiting(void *context)
{
    struct master *master = context;
    while (master->stopped < master->workers) {
        int done = 0;
        MPI_Status status;
        mpi_check(MPI_Test(&master->request, &done, &status), "MPI_Test");
        if (!done)
            return;
        answer(master, status.MPI_SOURCE);
    }
}

static void run_master(struct sum_squares_tasks *tasks, int ranks, struct traffic *traffic,
                       long long *strays, int *answers)
{
    struct master master = {.tasks = tasks, .workers = ranks - 1, .answers = answers,
                            .traffic = traffic};
    master.given = sum_squares_calloc((size_t)ranks, sizeof *master.given);
    for (int r = 0; r < ranks; r++)
        master.given[r] = NO_TASK;
    if (master.workers > 0)
        post_receive(&master);
    while (master.next < tasks->count) {
        size_t k = master.next++;
        record(&master, k, sum_squares_task(tasks->n[k], serve_waiting, &master), 0);
    }
    /* Nothing left to sum here: wait for the last results. */
    while (master.stopped < master.workers) {
        MPI_Status status;
        mpi_check(MPI_Wait(&master.request, &status), "MPI_Wait");
        answer(&master, status.MPI_SOURCE);
    }
    *strays = master.strays;
    free(master.given);
}

static void run_worker(void)
{
    uint64_t result[3] = {NO_TASK, 0, 0};
    for (;;) {
        mpi_check(MPI_Send(result, 3, MPI_UINT64_T, 0, TAG_RESULT, MPI_COMM_WORLD), "MPI_Send");
        uint64_t task[2];
        MPI_Status status;
        mpi_check(MPI_Recv(task, 2, MPI_UINT64_T, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &status),
                  "MPI_Recv");
        if (status.MPI_TAG == TAG_STOP)
            return;
        if (task[1] > SUM_SQUARES_MAX_N)
            mpi_fail("MPI_Recv", "rank 0 sent a task past the largest n");
        result[0] = task[0];
        sum_squares_mpi_to_words(sum_squares_task(task[1], NULL, NULL), &result[1]);
    }
}

/* ---- rank 0's report ---- */

/* Hosts the ranks ran on, each counted once. */
static int count_hosts(const struct rank_info *info, int ranks)
{
    int hosts = 0;
    for (int r = 0; r < ranks; r++) {
        bool seen = false;
        for (int before = 0; before < r && !seen; before++)
            seen = strcmp(info[before].host, info[r].host) == 0;
        hosts += !seen;
    }
    return hosts;
}

static void describe_ranks(struct report *report, const struct rank_info *info, int ranks,
                           int hosts)
{
    cJSON *list = cJSON_CreateArray();
    double startup_max = 0, startup_sum = 0, init_sum = 0;
    for (int r = 0; r < ranks; r++) {
        startup_max = fmax(startup_max, info[r].startup_s);
        startup_sum += info[r].startup_s;
        init_sum += info[r].init_s;
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddItemToArray(list, entry);
        cJSON_AddNumberToObject(entry, "rank", r);
        cJSON_AddStringToObject(entry, "host", info[r].host);
        if (!isnan(info[r].startup_s))
            cJSON_AddNumberToObject(entry, "startup_s", info[r].startup_s);
        cJSON_AddNumberToObject(entry, "init_s", info[r].init_s);
    }
    report_data(report, "ranks", list);
    report_metric(report, "init_mean_s", init_sum / ranks, "s");
    if (isnan(startup_sum)) {
        report_note(report, "started by mpirun directly: the startup since the launch is "
                            "unknown, only MPI_Init's own time (init_mean_s)");
        return;
    }
    report_metric(report, "startup_s", startup_max, "s");
    report_metric(report, "startup_mean_s", startup_sum / ranks, "s");
    report_note(report, "startup: the last of %d rank(s) on %d host(s) was ready %.1f ms after "
                        "the launcher started mpiexec (%.1f ms per rank); MPI_Init alone took "
                        "%.1f ms on average",
                ranks, hosts, startup_max * 1e3, startup_max * 1e3 / ranks,
                init_sum / ranks * 1e3);
}

static int report_job(const struct settings *settings, struct sum_squares_tasks *tasks,
                      double elapsed, const struct rank_info *info, int ranks,
                      const struct traffic *traffic, long long strays, const int *answers)
{
    struct report *report = report_new("sum_squares_mpi", mode_names[settings->mode]);
    int hosts = count_hosts(info, ranks);
    report_work(report, settings, tasks, elapsed, ranks, hosts == 1);
    report_param_int(report, "ranks", ranks);
    report_param_int(report, "hosts", hosts);
    report_param_bool(report, "hostfile", settings->hostfile != NULL);
    const char *pml = getenv("OMPI_MCA_pml"); /* what mpiexec --mca pml chose */
    report_param_text(report, "pml", pml != NULL ? pml : "default");
    describe_ranks(report, info, ranks, hosts);
    if (answers != NULL) {
        size_t once = 0;
        for (size_t k = 0; k < tasks->count; k++)
            once += answers[k] == 1;
        report_check(report, "answered_once", once == tasks->count && strays == 0,
                     "%zu of %zu tasks answered exactly once, %lld answer(s) for a task not "
                     "given",
                     once, tasks->count, strays);
    }
    report_metric(report, "messages", (double)traffic->messages, "");
    report_metric(report, "bytes", (double)traffic->bytes, "B");
    report_note(report, "%s: %lld message(s), %lld bytes of tasks and sums for %zu tasks",
                settings->mode == MODE_MPI_STATIC
                    ? "one MPI_Reduce of a 16-byte slot per task from every rank"
                    : "point to point, a result (24 bytes) up and a task (16) down per task",
                traffic->messages, traffic->bytes, tasks->count);
    return report_finish(report, settings->common.json, stdout);
}

static int run_rank(const struct settings *settings)
{
    double entered = wall_now();
    mpi_check(MPI_Init(NULL, NULL), "MPI_Init");
    double ready = wall_now();
    struct rank_info me = {.startup_s = ready - launch_time(), .init_s = ready - entered};
    mpi_check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN),
              "MPI_Comm_set_errhandler");
    int rank = 0, ranks = 1, length = 0;
    mpi_check(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
    mpi_check(MPI_Comm_size(MPI_COMM_WORLD, &ranks), "MPI_Comm_size");
    if (settings->ranks_given && settings->ranks != ranks) {
        if (rank == 0)
            fprintf(stderr, "%s: --ranks=%lld, but mpirun started %d rank(s)\n", fail_program(),
                    settings->ranks, ranks);
        mpi_check(MPI_Finalize(), "MPI_Finalize");
        return EXIT_USAGE;
    }
    mpi_check(MPI_Get_processor_name(me.host, &length), "MPI_Get_processor_name");
    struct rank_info *info =
        rank == 0 ? sum_squares_calloc((size_t)ranks, sizeof *info) : NULL;
    /* Two doubles, then the host name: plain bytes would do on one host, but
     * not between hosts that store doubles differently. */
    double times[2] = {me.startup_s, me.init_s}, *all_times = NULL;
    char *hosts = NULL;
    if (rank == 0) {
        all_times = sum_squares_calloc(2 * (size_t)ranks, sizeof *all_times);
        hosts = sum_squares_calloc((size_t)ranks, MPI_MAX_PROCESSOR_NAME);
    }
    mpi_check(MPI_Gather(times, 2, MPI_DOUBLE, all_times, 2, MPI_DOUBLE, 0, MPI_COMM_WORLD),
              "MPI_Gather");
    mpi_check(MPI_Gather(me.host, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, hosts,
                         MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0, MPI_COMM_WORLD),
              "MPI_Gather");
    for (int r = 0; rank == 0 && r < ranks; r++) {
        info[r].startup_s = all_times[2 * r];
        info[r].init_s = all_times[2 * r + 1];
        memcpy(info[r].host, hosts + (size_t)r * MPI_MAX_PROCESSOR_NAME, MPI_MAX_PROCESSOR_NAME);
        info[r].host[MPI_MAX_PROCESSOR_NAME - 1] = '\0';
    }
    free(all_times);
    free(hosts);

    struct sum_squares_tasks tasks =
        sum_squares_make_tasks((uint64_t)settings->base, (size_t)settings->tasks);
    int *answers = NULL;
    long long strays = 0;
    struct traffic traffic = {0, 0};
    /* The clock starts when every rank is ready: startup is reported apart. */
    mpi_check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
    double start = clock_now();
    if (settings->mode == MODE_MPI_STATIC) {
        run_static(&tasks, rank, ranks, &traffic);
    } else if (rank == 0) {
        answers = sum_squares_calloc(tasks.count, sizeof *answers);
        run_master(&tasks, ranks, &traffic, &strays, answers);
    } else {
        run_worker();
    }
    double elapsed = clock_since(start);
    int status = EXIT_RIGHT;
    if (rank == 0)
        status = report_job(settings, &tasks, elapsed, info, ranks, &traffic, strays, answers);
    free(answers);
    free(info);
    sum_squares_free_tasks(&tasks);
    mpi_check(MPI_Finalize(), "MPI_Finalize");
    return status;
}

int main(int argc, char **argv)
{
    struct settings settings = parse_settings(argc, argv);
    if (!is_mpi(settings.mode)) {
        if (in_mpi_job())
            fail_usage("--mode=%s runs without mpirun; a rank takes --mode=mpi-static or "
                       "--mode=mpi-dynamic",
                       mode_names[settings.mode]);
        return run_local(&settings);
    }
    if (!in_mpi_job())
        return launch(&settings, argc, argv);
    return run_rank(&settings);
}
