/* fanout — a new thread for every task, or a fixed team fed by a queue?
 *
 * Effective Python (2nd ed.), items 56 ("Know how to recognize when
 * concurrency is necessary": fan-out with one thread per cell, and why not)
 * and 57 ("Avoid creating new Thread instances for on-demand fan-out": a
 * fixed number of workers on a queue instead), and seed 002's summary of
 * both: "do not create a thread per task; create a few threads and feed them
 * through a queue".  The book's Game of Life: a 5 x 9 grid on a torus, a
 * glider, 5 generations; each cell's update does blocking I/O in game_logic
 * (here a sleep of --io-us).
 *
 * Variants (--mode):
 *   seq              every cell in turn in one thread: cells x generations waits
 *   thread-per-cell  item 56: a new thread for every cell in every generation,
 *                    all joined before the next generation (fan-out, fan-in)
 *   pool             item 57: --workers threads (5, the book's) started once and
 *                    fed through a ClosableQueue; the main thread counts the
 *                    neighbours, puts one task per cell, joins the queue and
 *                    gathers the results from an out-queue
 *   pool --workers=45  (listed as pool-wide) one worker per cell of the book's
 *                    grid: thread-per-cell's concurrency without its creations
 *
 * Thread-per-cell measures what each thread costs: the time pthread_create
 * takes, the address space and resident memory per live thread (from
 * /proc/self/status), the stack each one reserves.  When the system refuses a
 * thread (pthread_create's EAGAIN, e.g. under ulimit -v or -u) the program
 * joins the threads it has, says which thread was refused, and exits 1.
 *
 * The result grid is checked cell by cell against a simulation without I/O,
 * and every glider keeps its 5 live cells.  Each thread's work is in one
 * function (cell_thread_main, pool_worker_main), and the only blocking calls
 * are io_wait and the queue wrappers take and give, so a scheduler such as an
 * emulated GIL has one place to go for each.
 *
 * --gil runs every variant under common/gil, an emulation of CPython's GIL:
 * the cell threads, the pool's workers and the main thread are Python
 * threads, and the I/O, the queue waits and the joins release the GIL, as
 * CPython's do.  The work is all waiting, so the GIL costs little here.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "fail.h"
#include "queue.h"
#include "gil.h"
#include "report.h"
#include "thread_team.h"

enum { DEAD = 0, ALIVE = 1 };

/* The book's grid and glider: Grid(5, 9) with cells (0,3) (1,4) (2,2) (2,3) (2,4). */
enum { BOOK_ROWS = 5, BOOK_COLS = 9, GLIDER_CELLS = 5 };
static const int glider[GLIDER_CELLS][2] = {{0, 3}, {1, 4}, {2, 2}, {2, 3}, {2, 4}};

#define MAX_SIDE 200
#define MAX_WORKERS 1024

enum mode { MODE_SEQ, MODE_THREAD_PER_CELL, MODE_POOL };
static const char *const mode_names[] = {"seq", "thread-per-cell", "pool", NULL};

static const struct cli_variant variants[] = {
    {"seq", MODE_SEQ, NULL},
    {"thread-per-cell", MODE_THREAD_PER_CELL, NULL},
    {"pool", MODE_POOL, NULL},
    {"pool-wide", MODE_POOL, "--workers=45"},
};

struct settings {
    int mode;
    long long workers, rows, cols, generations, io_us;
    struct gil_options gil;
    struct cli_common common;
};

/* ---- the Game of Life, as the book writes it ------------------------------ */

struct grid {
    int rows, cols;
    unsigned char *cells;
};

static struct grid grid_new(int rows, int cols)
{
    struct grid grid = {rows, cols, calloc((size_t)rows * (size_t)cols, 1)};
    if (grid.cells == NULL)
        fail_wrong("out of memory for a %d x %d grid", rows, cols);
    return grid;
}

/* Coordinates wrap around: the grid is a torus, like the book's Grid.get. */
static size_t grid_index(const struct grid *grid, int y, int x)
{
    int row = ((y % grid->rows) + grid->rows) % grid->rows;
    int col = ((x % grid->cols) + grid->cols) % grid->cols;
    return (size_t)row * (size_t)grid->cols + (size_t)col;
}

static int grid_get(const struct grid *grid, int y, int x)
{
    return grid->cells[grid_index(grid, y, x)];
}

static void grid_set(struct grid *grid, int y, int x, int state)
{
    grid->cells[grid_index(grid, y, x)] = (unsigned char)state;
}

/* The book's glider in every whole 5 x 9 block of the grid.  When the sides
 * are multiples of 5 and 9 every block evolves exactly like the book's grid. */
static void place_gliders(struct grid *grid)
{
    for (int top = 0; top + BOOK_ROWS <= grid->rows; top += BOOK_ROWS)
        for (int left = 0; left + BOOK_COLS <= grid->cols; left += BOOK_COLS)
            for (int k = 0; k < GLIDER_CELLS; k++)
                grid_set(grid, top + glider[k][0], left + glider[k][1], ALIVE);
}

static int count_neighbors(const struct grid *grid, int y, int x)
{
    int count = 0;
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++)
            count += (dy != 0 || dx != 0) && grid_get(grid, y + dy, x + dx) == ALIVE;
    return count;
}

static int game_rule(int state, int neighbors)
{
    if (state == ALIVE)
        return neighbors == 2 || neighbors == 3 ? ALIVE : DEAD;
    return neighbors == 3 ? ALIVE : DEAD;
}

/* The one blocking call of the experiment: the book's my_socket.recv(100). */
static void io_wait(long long microseconds)
{
    GIL_RELEASED(clock_sleep((double)microseconds / 1e6)); /* recv lets go of the GIL */
}

/* The book's game_logic: blocking I/O, then the rule. */
static int game_logic(int state, int neighbors, long long io_us)
{
    io_wait(io_us);
    return game_rule(state, neighbors);
}

static void step_cell(const struct grid *grid, struct grid *next, int y, int x, long long io_us)
{
    int state = grid_get(grid, y, x);
    int neighbors = count_neighbors(grid, y, x);
    grid_set(next, y, x, game_logic(state, neighbors, io_us));
}

static void swap_grids(struct grid *a, struct grid *b)
{
    struct grid saved = *a;
    *a = *b;
    *b = saved;
}

/* ---- seq ------------------------------------------------------------------ */

static void run_seq(struct grid *grid, const struct settings *settings)
{
    struct grid next = grid_new(grid->rows, grid->cols);
    for (long long g = 0; g < settings->generations; g++) {
        for (int y = 0; y < grid->rows; y++)
            for (int x = 0; x < grid->cols; x++)
                step_cell(grid, &next, y, x, settings->io_us);
        swap_grids(grid, &next);
    }
    free(next.cells);
}

/* ---- what threads cost ---------------------------------------------------- */

struct thread_costs {
    unsigned long long created;
    double create_s, join_s;   /* summed over every pthread_create / pthread_join */
    atomic_int alive;          /* cell threads running now */
    atomic_int max_alive;      /* the most that ran at once */
    size_t max_unjoined;       /* the most that existed at once: created, not yet joined */
    long vm_before_kb, rss_before_kb, vm_peak_kb, rss_peak_kb; /* -1: unknown */
};

/* A field of /proc/self/status in kB ("VmSize", "VmPeak", "VmRSS", "VmHWM"),
 * -1 when it cannot be read (not Linux, or the field is missing). */
static long status_kb(const char *field)
{
    FILE *status = fopen("/proc/self/status", "r");
    if (status == NULL)
        return -1;
    char line[256];
    long value = -1;
    size_t length = strlen(field);
    while (value < 0 && fgets(line, sizeof line, status) != NULL) {
        if (strncmp(line, field, length) == 0 && line[length] == ':')
            value = strtol(line + length + 1, NULL, 10);
    }
    fclose(status);
    return value;
}

static void note_alive(struct thread_costs *costs, int delta)
{
    int now = atomic_fetch_add_explicit(&costs->alive, delta, memory_order_relaxed) + delta;
    int most = atomic_load_explicit(&costs->max_alive, memory_order_relaxed);
    while (now > most && !atomic_compare_exchange_weak_explicit(
                             &costs->max_alive, &most, now, memory_order_relaxed,
                             memory_order_relaxed))
        ;
}

/* ---- thread-per-cell (item 56) -------------------------------------------- */

struct cell_job {
    const struct grid *grid;
    struct grid *next;
    int y, x;
    long long io_us;
    struct thread_costs *costs;
};

static void *cell_thread_main(void *arg)
{
    struct cell_job *job = arg;
    note_alive(job->costs, +1);
    gil_thread_begin();
    step_cell(job->grid, job->next, job->y, job->x, job->io_us);
    gil_thread_end();
    note_alive(job->costs, -1);
    return NULL;
}

/* Starts one thread per cell; returns how many started, *ERROR set when
 * pthread_create refused the next one. */
static size_t start_cell_threads(struct cell_job *jobs, pthread_t *threads, size_t cells,
                                 struct thread_costs *costs, int *error)
{
    *error = 0;
    for (size_t i = 0; i < cells; i++) {
        double start = clock_now();
        *error = thread_team_start(&threads[i], cell_thread_main, &jobs[i]);
        costs->create_s += clock_since(start);
        if (*error != 0)
            return i;
        costs->created++;
        gil_checkpoint(); /* the eval breaker on the loop's back edge */
    }
    return cells;
}

static void join_cell_threads(pthread_t *threads, size_t started, struct thread_costs *costs)
{
    double start = clock_now();
    for (size_t i = 0; i < started; i++) {
        int rc;
        GIL_RELEASED(rc = pthread_join(threads[i], NULL));
        if (rc != 0)
            fail_code("pthread_join", rc);
    }
    costs->join_s += clock_since(start);
}

static void run_thread_per_cell(struct grid *grid, const struct settings *settings,
                                struct thread_costs *costs)
{
    size_t cells = (size_t)grid->rows * (size_t)grid->cols;
    struct grid next = grid_new(grid->rows, grid->cols);
    struct cell_job *jobs = calloc(cells, sizeof *jobs);
    pthread_t *threads = calloc(cells, sizeof *threads);
    if (jobs == NULL || threads == NULL)
        fail_wrong("out of memory for %zu threads", cells);
    for (long long g = 0; g < settings->generations; g++) {
        for (size_t i = 0; i < cells; i++)
            jobs[i] = (struct cell_job){grid, &next, (int)(i / (size_t)grid->cols),
                                        (int)(i % (size_t)grid->cols), settings->io_us, costs};
        int error;
        size_t started = start_cell_threads(jobs, threads, cells, costs, &error);
        if (started > costs->max_unjoined)
            costs->max_unjoined = started;
        join_cell_threads(threads, started, costs);
        if (error != 0)
            fail_wrong("the system refused thread %zu of %zu in generation %lld "
                       "(pthread_create: %s%s); the %zu started were joined; a fixed pool "
                       "(--mode=pool) needs only --workers threads",
                       started + 1, cells, g + 1, strerror(error),
                       fail_hint(error), started);
        swap_grids(grid, &next);
    }
    free(jobs);
    free(threads);
    free(next.cells);
}

/* ---- pool (item 57) ------------------------------------------------------- */

/* One cell's work order and, once done, its answer. */
struct cell_task {
    int y, x;
    int state, neighbors, next_state;
};

struct pool_worker {
    struct queue *in, *out;
    long long io_us;
};

/* The only places a pool thread blocks, besides game_logic's I/O.  Under
 * --gil, as queue.Queue's get and put: an item that is there is taken
 * holding the GIL; only a wait releases it. */
static bool take(struct queue *queue, struct cell_task **task)
{
    void *got;
    enum queue_status status;
    status = gil_queue_get(queue, &got);
    if (status != QUEUE_OK)
        return false;
    *task = got;
    return true;
}

static void give(struct queue *queue, struct cell_task *task)
{
    enum queue_status status;
    status = gil_queue_put(queue, task);
    if (status != QUEUE_OK)
        fail_wrong("put on a task queue: %s (it was closed too early)",
                   queue_status_name(status));
}

/* StoppableWorker.run with the book's game_logic_thread as its function. */
static void *pool_worker_main(void *arg)
{
    struct pool_worker *worker = arg;
    struct cell_task *task;
    gil_thread_begin();
    while (take(worker->in, &task)) {
        task->next_state = game_logic(task->state, task->neighbors, worker->io_us);
        give(worker->out, task);
        queue_task_done(worker->in);
    }
    gil_thread_end();
    return NULL;
}

/* The book's simulate_pipeline: fan out one task per cell, wait for the
 * in-queue to be done, fan the answers back in from the out-queue. */
static void simulate_pipeline(const struct grid *grid, struct grid *next, struct cell_task *tasks,
                              struct queue *in, struct queue *out)
{
    size_t cells = (size_t)grid->rows * (size_t)grid->cols;
    for (size_t i = 0; i < cells; i++) {
        int y = (int)(i / (size_t)grid->cols), x = (int)(i % (size_t)grid->cols);
        tasks[i] = (struct cell_task){y, x, grid_get(grid, y, x), count_neighbors(grid, y, x), -1};
        give(in, &tasks[i]);
    }
    gil_queue_join(in);
    size_t gathered = 0;
    void *done;
    while (queue_try_get(out, &done) == QUEUE_OK) {
        struct cell_task *task = done;
        grid_set(next, task->y, task->x, task->next_state);
        gathered++;
    }
    if (gathered != cells)
        fail_wrong("fan-in gathered %zu answers for %zu cells", gathered, cells);
}

static void run_pool(struct grid *grid, const struct settings *settings,
                     struct thread_costs *costs)
{
    size_t cells = (size_t)grid->rows * (size_t)grid->cols, n = (size_t)settings->workers;
    struct queue *in = queue_new(0), *out = queue_new(0);
    struct cell_task *tasks = calloc(cells, sizeof *tasks);
    pthread_t *threads = calloc(n, sizeof *threads);
    if (in == NULL || out == NULL || tasks == NULL || threads == NULL)
        fail_wrong("out of memory for the pool");
    struct pool_worker worker = {in, out, settings->io_us};
    size_t started = 0;
    int error = 0;
    for (; started < n; started++) {
        double start = clock_now();
        error = thread_team_start(&threads[started], pool_worker_main, &worker);
        costs->create_s += clock_since(start);
        if (error != 0)
            break;
        costs->created++;
    }
    struct grid next = grid_new(grid->rows, grid->cols);
    for (long long g = 0; error == 0 && g < settings->generations; g++) {
        simulate_pipeline(grid, &next, tasks, in, out);
        swap_grids(grid, &next);
    }
    queue_close(in); /* every worker's loop ends once the queue is drained */
    join_cell_threads(threads, started, costs);
    if (error != 0)
        fail_wrong("the system refused worker %zu of %zu (pthread_create: %s%s)", started + 1,
                   n, strerror(error), fail_hint(error));
    queue_free(in);
    queue_free(out);
    free(tasks);
    free(threads);
    free(next.cells);
}

/* ---- checks and report ---------------------------------------------------- */

static struct grid initial_grid(const struct settings *settings)
{
    struct grid grid = grid_new((int)settings->rows, (int)settings->cols);
    place_gliders(&grid);
    return grid;
}

static size_t live_cells(const struct grid *grid)
{
    size_t live = 0;
    for (size_t i = 0; i < (size_t)grid->rows * (size_t)grid->cols; i++)
        live += grid->cells[i] == ALIVE;
    return live;
}

static void check_grid(struct report *report, const struct grid *result,
                       const struct settings *settings)
{
    struct grid reference = initial_grid(settings);
    struct grid initial = initial_grid(settings);
    struct settings no_io = *settings;
    no_io.io_us = 0;
    run_seq(&reference, &no_io);
    size_t cells = (size_t)result->rows * (size_t)result->cols, differ = 0;
    for (size_t i = 0; i < cells; i++)
        differ += result->cells[i] != reference.cells[i];
    report_check(report, "grid", differ == 0,
                 "%zu of %zu cells differ from a sequential simulation without I/O", differ,
                 cells);
    size_t gliders = live_cells(&initial) / GLIDER_CELLS;
    bool whole_blocks = result->rows % BOOK_ROWS == 0 && result->cols % BOOK_COLS == 0;
    if (whole_blocks)
        report_check(report, "gliders", live_cells(result) == GLIDER_CELLS * gliders,
                     "%zu live cells: %zu gliders of %d cells each, as at the start",
                     live_cells(result), gliders, GLIDER_CELLS);
    free(reference.cells);
    free(initial.cells);
}

/* The final grid, one string per row, '*' alive and '-' dead as in the book. */
static void attach_grid(struct report *report, const struct grid *grid)
{
    cJSON *rows = cJSON_CreateArray();
    char *line = malloc((size_t)grid->cols + 1);
    if (rows == NULL || line == NULL)
        fail_wrong("out of memory for the grid's rows");
    for (int y = 0; y < grid->rows; y++) {
        for (int x = 0; x < grid->cols; x++)
            line[x] = grid_get(grid, y, x) == ALIVE ? '*' : '-';
        line[grid->cols] = '\0';
        cJSON_AddItemToArray(rows, cJSON_CreateString(line));
    }
    free(line);
    report_data(report, "final_grid", rows);
}

static void report_costs(struct report *report, const struct settings *settings,
                         const struct thread_costs *costs)
{
    int most = atomic_load(&costs->max_alive);
    report_metric(report, "threads_created", (double)costs->created, "");
    if (costs->created > 0)
        report_metric(report, "create_us_per_thread",
                      1e6 * costs->create_s / (double)costs->created, "us");
    report_metric(report, "stack_reserved_kb", (double)(THREAD_TEAM_STACK_BYTES / 1024), "kB");
    if (settings->mode != MODE_THREAD_PER_CELL)
        return;
    report_metric(report, "join_us_per_thread", 1e6 * costs->join_s / (double)costs->created, "us");
    report_metric(report, "max_threads_alive", most, "");
    /* A thread that has returned keeps its stack until it is joined, so the
     * memory is shared by every thread created in a generation, not only by
     * those running at the same moment. */
    double existing = (double)costs->max_unjoined;
    report_metric(report, "max_threads_unjoined", existing, "");
    if (existing > 0 && costs->vm_peak_kb > costs->vm_before_kb && costs->vm_before_kb >= 0) {
        double vm = (double)(costs->vm_peak_kb - costs->vm_before_kb) / existing;
        report_metric(report, "vm_per_thread_kb", vm, "kB");
        report_note(report, "%.0f threads existed at once (%d running at the same moment); the "
                            "address space grew by about %.0f kB per thread: its stack, "
                            "reserved but hardly touched",
                    existing, most, vm);
    }
    if (existing > 0 && costs->rss_peak_kb >= costs->rss_before_kb && costs->rss_before_kb >= 0)
        report_metric(report, "rss_per_thread_kb",
                      (double)(costs->rss_peak_kb - costs->rss_before_kb) / existing, "kB");
}

static double io_bound_s(const struct settings *settings)
{
    double cells = (double)(settings->rows * settings->cols), io = (double)settings->io_us / 1e6;
    double rounds = settings->mode == MODE_SEQ ? cells
                    : settings->mode == MODE_THREAD_PER_CELL
                        ? 1
                        : (double)((settings->rows * settings->cols + settings->workers - 1) /
                                   settings->workers);
    return (double)settings->generations * rounds * io;
}

static void describe(struct report *report, const struct settings *settings, double elapsed)
{
    report_param_text(report, "mode", mode_names[settings->mode]);
    report_param_text(report, "size", cli_size_name(settings->common.size));
    report_param_int(report, "rows", settings->rows);
    report_param_int(report, "cols", settings->cols);
    report_param_int(report, "generations", settings->generations);
    report_param_int(report, "io_us", settings->io_us);
    if (settings->mode == MODE_POOL)
        report_param_int(report, "workers", settings->workers);
    double updates = (double)(settings->rows * settings->cols * settings->generations);
    report_metric(report, "cell_updates", updates, "");
    report_metric(report, "updates_per_s", elapsed > 0 ? updates / elapsed : 0, "updates/s");
    report_metric(report, "io_bound_s", io_bound_s(settings), "s");
    report_note(report, "with %s, the I/O waits alone need at least %.4f s: %s",
                mode_names[settings->mode], io_bound_s(settings),
                settings->mode == MODE_SEQ ? "one wait per cell, one after another"
                : settings->mode == MODE_THREAD_PER_CELL
                    ? "all cells of a generation wait at once"
                    : "each round of --workers cells waits at once");
}

/* ---- the program ---------------------------------------------------------- */

/* The cells' blocking I/O overlaps in as many threads as the pool has. */
static const struct cli_sweep sweep[] = {
    {"threads", MODE_POOL, "--workers={workers}", false},
};

static struct settings parse_settings(int argc, char **argv)
{
    struct settings settings = {.workers = 5, .io_us = 1000, .gil = GIL_OPTIONS_DEFAULT};
    /* By size: quick, the book's grid for 2 generations; book, 5 x 9 for 5
     * generations; large, 100 of the book's blocks (50 x 90), 5 generations. */
    const struct cli_option options[] = {
        {.name = "workers", .kind = CLI_INT, .min = 1, .max = MAX_WORKERS,
         .integer = &settings.workers, .modes = CLI_MODE(MODE_POOL),
         .help = "worker threads, as many as the book's"},
        {.name = "rows", .kind = CLI_INT, .min = 3, .max = MAX_SIDE, .integer = &settings.rows,
         .by_size = CLI_BY_SIZE(5, 5, 50), .help = "grid height"},
        {.name = "cols", .kind = CLI_INT, .min = 3, .max = MAX_SIDE, .integer = &settings.cols,
         .by_size = CLI_BY_SIZE(9, 9, 90), .help = "grid width"},
        {.name = "generations", .kind = CLI_INT, .min = 1, .max = 1000,
         .integer = &settings.generations, .by_size = CLI_BY_SIZE(2, 5, 5),
         .help = "generations simulated"},
        {.name = "io-us", .kind = CLI_INT, .min = 0, .max = 1000000, .integer = &settings.io_us,
         .help = "microseconds of blocking I/O in each cell's game_logic"},
        GIL_CLI_OPTIONS(&settings.gil),
    };
    const struct cli_program program = {
        .name = "fanout",
        .summary = "Update a Game of Life grid whose cells do blocking I/O: one thread per "
                   "cell, or a fixed pool fed by a queue (Effective Python items 56-57).",
        .epilogue = "The grid is a torus holding the book's glider in every whole 5 x 9 block.\n"
                    "Under a limit on threads or memory (ulimit -u, ulimit -v), thread-per-cell "
                    "stops with a clear error while pool keeps working.",
        .modes = mode_names,
        .mode_help = "how the cells of a generation are updated",
        .mode = &settings.mode,
        CLI_OPTIONS(options),
        CLI_VARIANTS(variants),
        CLI_SWEEP(sweep),
    };
    cli_parse_or_exit(&program, argc, argv, &settings.common);
    double io_s = (double)(settings.rows * settings.cols * settings.generations) *
                  (double)settings.io_us / 1e6;
    if (settings.mode == MODE_SEQ && io_s > 3600)
        fail_usage("seq would wait %.0f s for I/O; at most 3600 s is accepted", io_s);
    return settings;
}

static const char *variant_name(const struct settings *settings)
{
    if (settings->mode == MODE_POOL && settings->workers == 45)
        return "pool-wide";
    return mode_names[settings->mode];
}

int main(int argc, char **argv)
{
    struct settings settings = parse_settings(argc, argv);
    struct grid grid = initial_grid(&settings);
    struct thread_costs costs = {.vm_before_kb = status_kb("VmSize"),
                                 .rss_before_kb = status_kb("VmRSS")};

    gil_init(&settings.gil);
    double start = clock_now();
    gil_thread_begin(); /* the main thread, which fans out and in, is a Python thread too */
    if (settings.mode == MODE_SEQ)
        run_seq(&grid, &settings);
    else if (settings.mode == MODE_THREAD_PER_CELL)
        run_thread_per_cell(&grid, &settings, &costs);
    else
        run_pool(&grid, &settings, &costs);
    gil_thread_end();
    double elapsed = clock_since(start);
    costs.vm_peak_kb = status_kb("VmPeak");
    costs.rss_peak_kb = status_kb("VmHWM");

    char variant[32];
    struct report *report = report_new(
        "fanout", gil_variant_name(&settings.gil, variant_name(&settings), variant,
                                   sizeof variant));
    describe(report, &settings, elapsed);
    report_elapsed(report, elapsed);
    report_costs(report, &settings, &costs);
    check_grid(report, &grid, &settings);
    gil_report(report);
    gil_shutdown();
    attach_grid(report, &grid);
    free(grid.cells);
    return report_finish(report, settings.common.json, stdout);
}
