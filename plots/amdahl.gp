# amdahl.gp — measured speedup against the number of workers, with Amdahl's
# law S(N) = 1 / (s + (1 - s) / N) for the serial fraction s that fits the
# points best (least squares), and the ideal S(N) = N for reference.
#
#   gnuplot -e "datafile='sweep.dat'; outbase='out/amdahl-sweep'; chart_title='...'; fitfile='fit.txt'" amdahl.gp
#
# datafile: one line per point, columns: workers speedup median_seconds.
# Writes OUTBASE.svg, OUTBASE.png, and the fitted s to FITFILE.

s = 0.1
amdahl(n) = 1 / (s + (1 - s) / n)
set fit quiet nolog
set fit limit 1e-9
fit amdahl(x) datafile using 1:2 via s
set print fitfile
print sprintf("%.4f", s)
set print

stats datafile using 1 nooutput
max_workers = STATS_max

set title chart_title noenhanced
set xlabel "workers (threads or processes)"
set ylabel "speedup over 1 worker (x)"
set xrange [0.8:max_workers + 0.2]
set yrange [0:max_workers + 0.5]
set xtics 1
set grid
set key left top noenhanced
set samples 200

set terminal svg size 800,500 dynamic font "sans,11" background rgb "white"
set output outbase.".svg"
plot x with lines dt 3 lc rgb "gray40" title "ideal: S = N", \
     amdahl(x) with lines lw 2 dt 2 lc rgb "#e07b28" title sprintf("Amdahl, fitted serial fraction s = %.3f", s), \
     datafile using 1:2 with linespoints pt 7 ps 1.2 lw 2 lc rgb "#3b6ea5" title "measured (median)"

set terminal pngcairo size 800,500 font "sans,10" background rgb "white"
set output outbase.".png"
replot
set output
