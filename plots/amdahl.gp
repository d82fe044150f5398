# amdahl.gp — measured speedup against the number of workers, one line per
# series (threads, processes, ...), with the ideal S(N) = N, a mark at the
# cores, and Amdahl's law S(N) = 1 / (s + (1 - s) / N) for the serial
# fraction s that fits the first series best (least squares) up to the cores:
# past them, a CPU-bound series can only flatten or drop.
#
#   gnuplot -e "datafile='sweep.dat'; outbase='out/x-sweep'; chart_title='...';
#               fitfile='fit.txt'; series_names='threads processes'; cores='2';
#               fit_first='1'" amdahl.gp
#
# datafile: one block per series (blocks apart by two blank lines), columns:
# workers speedup median_seconds.  fit_first '0': the first series is weak
# scaling (its work grows with N), where Amdahl's law does not apply.
# Writes OUTBASE.svg, OUTBASE.png, and the fitted s (or why none) to FITFILE.

ncores = cores + 0
n_series = words(series_names)
if (!exists("fit_first")) fit_first = '1'

s = 0.1
amdahl(n) = 1 / (s + (1 - s) / n)
set print fitfile
if (fit_first + 0) {
    set fit quiet nolog
    set fit limit 1e-9
    fit amdahl(x) datafile index 0 using 1:($1 <= ncores ? $2 : 1/0) via s
    print sprintf("%.4f", s)
} else {
    print "not fitted: each worker does the same work (weak scaling), so Amdahl's law does not apply"
}
set print

stats datafile using 1 nooutput
max_workers = STATS_max
stats datafile using 2 nooutput
max_speedup = STATS_max

set title chart_title noenhanced
set xlabel "workers (threads or processes)"
set ylabel ((fit_first + 0) ? "speedup over 1 worker (x)" : "throughput over 1 worker (x)")
set logscale x 2
set xrange [0.9:max_workers * 1.1]
set yrange [0:(max_speedup > ncores ? max_speedup : ncores) * 1.15]
set xtics 2
set grid
set key left top noenhanced
set samples 200
set arrow 1 from ncores, graph 0 to ncores, graph 1 nohead dt 2 lc rgb "gray60"
set label 1 sprintf("%d cores", ncores) at ncores, graph 0.96 offset 0.5, 0 tc rgb "gray40"

colours = "#3b6ea5 #c0392b #2e8b57 #8e44ad"

set terminal svg size 800,500 dynamic font "sans,11" background rgb "white"
set output outbase.".svg"
plot x with lines dt 3 lc rgb "gray40" title "ideal: S = N", \
     (fit_first + 0 ? amdahl(x) : 1/0) with lines lw 2 dt 2 lc rgb "#e07b28" \
         title (fit_first + 0 ? sprintf("Amdahl, %s up to the cores: s = %.3f", word(series_names, 1), s) : ""), \
     for [i = 1:n_series] datafile index (i - 1) using 1:2 with linespoints pt 7 ps 1.2 lw 2 \
         lc rgb word(colours, (i - 1) % 4 + 1) title word(series_names, i)." (median)"

set terminal pngcairo size 800,500 font "sans,10" background rgb "white"
set output outbase.".png"
replot
set output
