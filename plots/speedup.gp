# speedup.gp — the question every experiment asks, as a chart: how many times
# faster is each variant than its baseline (the first variant of its
# language), with the 95 % interval of that ratio.  C's variants (blue) and
# CPython's (py-*, orange) stand side by side as two groups.  Beside them:
#   - a green band where the experiment's lesson says the speedup must land
#     (benchmarks/<name>/lessons.json), and a green dash at its ideal (the
#     lesson's, else the one the variant's program reported, e.g. N workers);
#   - a red diamond at the speedup the source printed for that variant
#     (its seconds for the baseline over its seconds for the variant);
#   - a dashed line at 1x: as fast as the baseline.
# The axis is logarithmic when the ratios span more than a factor of 8 (an
# event loop 50x faster beside a 0.9x), linear from zero otherwise; on a log
# axis the bars start at 1x, so a bar that points down is a slowdown.
#
#   gnuplot -e "datafile='speedup.dat'; outbase='out/factorize-speedup'; chart_title='...'" speedup.gp
#
# datafile: one line per variant, tab-separated columns:
#   x label speedup low high language(1 = C, 2 = Python) ideal source
#   lesson_min lesson_max (NaN where there is none).
# Writes OUTBASE.svg and OUTBASE.png.

set datafile separator "\t"
# A column that holds NaN (the mark of "none") is not valid(): counted as 1x.
or_one(column) = valid(column) ? column(column) : 1

stats datafile using 4 nooutput
lowest = STATS_min
stats datafile using 5 nooutput
highest = STATS_max
stats datafile using 1 nooutput
last_x = STATS_max
stats datafile using (or_one(7)) nooutput
lowest = STATS_min < lowest ? STATS_min : lowest
highest = STATS_max > highest ? STATS_max : highest
stats datafile using (or_one(8)) nooutput
lowest = STATS_min < lowest ? STATS_min : lowest
highest = STATS_max > highest ? STATS_max : highest
stats datafile using (or_one(9)) nooutput
lowest = STATS_min < lowest ? STATS_min : lowest
highest = STATS_max > highest ? STATS_max : highest
stats datafile using (or_one(10)) nooutput
lowest = STATS_min < lowest ? STATS_min : lowest
highest = STATS_max > highest ? STATS_max : highest
stats datafile using (valid(7) ? 1 : 0) nooutput
ideals = STATS_sum
stats datafile using (valid(8) ? 1 : 0) nooutput
sources = STATS_sum
stats datafile using ($6 == 2 ? 1 : 0) nooutput
pythons = STATS_sum
stats datafile using (valid(9) || valid(10) ? 1 : 0) nooutput
bands = STATS_sum

# The baseline's own speedup is 1 by definition: no number above its bar.
is_baseline(column) = strstrt(strcol(column), " (baseline)") > 0

logscale = highest > 8 * lowest
left = -0.6
right = last_x + 0.6

set title chart_title noenhanced
set grid ytics
set style fill solid 0.7 border -1
set xtics rotate by -25 noenhanced
set xrange [left:right]
set format y "%g×"
set key below horizontal maxcols 3 noenhanced
set linetype 1 lc rgb "#3b6ea5"
set linetype 2 lc rgb "#e07b28"

if (logscale) {
    set logscale y
    set yrange [lowest / 1.5:highest * 1.6]
    set ytics (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
    set ylabel "speedup over the baseline (×, log scale; higher is faster)"
    bar_floor = 1
} else {
    set yrange [0:highest * 1.15]
    set ylabel "speedup over the baseline (×; higher is faster)"
    bar_floor = 0
}

# A bar that points down (a slowdown, on the log axis) has its number below.
down(speedup) = logscale && speedup < 1

# A lesson's interval open at one end reaches past the edge of the chart.
band_low(column) = valid(column) ? column(column) : lowest / 100
band_high(column) = valid(column) ? column(column) : highest * 100
has_band = "(valid(9) || valid(10))"

set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 lc rgb "gray30" back
set style textbox opaque noborder
set label "1×: as fast as the baseline" at graph 0, first 1 left offset 0.5,0.6 font ",9" tc rgb "gray20" front boxed

set terminal svg size 900,520 dynamic font "sans,11" background rgb "white"
set output outbase.".svg"
plot datafile using 1:($6 == 1 ? $3 : NaN):($1 - 0.35):($1 + 0.35):(bar_floor):3:xtic(2) \
         with boxxyerror lc 1 title "C here", \
     ''       using 1:($6 == 2 ? $3 : NaN):($1 - 0.35):($1 + 0.35):(bar_floor):3 \
         with boxxyerror lc 2 title (pythons > 0 ? "CPython here (py-*)" : ""), \
     ''       using 1:(@has_band ? 1 : NaN):($1 - 0.45):($1 + 0.45):(band_low(9)):(band_high(10)) \
         with boxxyerror fs transparent solid 0.3 noborder lc rgb "#2e8b3d" \
         title (bands > 0 ? "lesson's interval" : ""), \
     ''       using 1:4:(0):($5 - $4) with vectors heads size screen 0.006,90 lc rgb "black" \
         title "95 % interval", \
     ''       using 1:(is_baseline(2) || down($3) ? NaN : $5):(sprintf("%.3g×", $3)) \
         with labels offset 0,0.7 font ",9" notitle, \
     ''       using 1:(is_baseline(2) || !down($3) ? NaN : $4):(sprintf("%.3g×", $3)) \
         with labels offset 0,-0.7 font ",9" notitle, \
     ''       using ($1 - 0.4):7:(0.8):(0) with vectors nohead lw 4 lc rgb "#2e8b3d" \
         title (ideals > 0 ? "ideal" : ""), \
     ''       using 1:8 with points pt 13 ps 1.5 lc rgb "#b8002e" \
         title (sources > 0 ? "source's speedup (CPython)" : "")

set terminal pngcairo size 900,520 font "sans,10" background rgb "white"
set output outbase.".png"
replot
set output
