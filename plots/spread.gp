# spread.gp — how evenly the workers of each variant shared the work: one
# line per variant, a point per worker in increasing order (its tasks,
# elements, or the second it finished), from the variant's checked run
# (verify-VARIANT.json): a flat line is an even share.
#
#   gnuplot -e "datafile='spread.dat'; outbase='out/x-spread'; chart_title='...';
#               series_names='mutex spinlock'; y_label='finish_s (s)'" spread.gp
#
# datafile: one block per variant (blocks apart by two blank lines), columns:
# worker (1..N) value.  Writes OUTBASE.svg and OUTBASE.png.

n_series = words(series_names)
stats datafile using 1 nooutput
max_worker = STATS_max

set title chart_title noenhanced
set xlabel "workers, from the one with the least to the one with the most"
set ylabel y_label noenhanced
set xrange [0.5:max_worker + 0.5]
set yrange [0:*]
set xtics 1
set grid
set key left top noenhanced

colours = "#3b6ea5 #c0392b #2e8b57 #8e44ad #e07b28 #555555"

set terminal svg size 800,500 dynamic font "sans,11" background rgb "white"
set output outbase.".svg"
plot for [i = 1:n_series] datafile index (i - 1) using 1:2 with linespoints pt 7 ps 1.2 lw 2 \
         lc rgb word(colours, (i - 1) % 6 + 1) title word(series_names, i)

set terminal pngcairo size 800,500 font "sans,10" background rgb "white"
set output outbase.".png"
replot
set output
