# trend.gp — each variant's speedup over the runs recorded in history, with
# its 95 % interval; a dashed line of the same style marks the baseline.
# Distinct point and dash types keep the lines apart in black-and-white print.
#
#   gnuplot -e "datafile='trend.dat'; outbase='out/factorize-trend'; chart_title='...'; blocks=3" trend.gp
#
# datafile: one block per variant (blocks separated by two blank lines), its
# first line the variant's name in quotes, then: run speedup low high baseline
# (baseline NaN when there is none).  Writes OUTBASE.svg and OUTBASE.png.

set title chart_title noenhanced
set xlabel "run (oldest to newest)"
set ylabel "speedup over the sequential variant (x)"
set yrange [0:*]
set xrange [0.5:*]
set xtics 1
set grid ytics
set key outside right top noenhanced title "dashed: baseline"

set terminal svg size 900,500 dynamic font "sans,11" background rgb "white"
set output outbase.".svg"
plot for [i=0:blocks-1] datafile index i using 1:2:3:4 with yerrorlines lt i+1 pt i+4 dt 1 \
         title columnheader(1), \
     for [i=0:blocks-1] datafile index i using 1:5 with lines lt i+1 dt 2 notitle

set terminal pngcairo size 900,500 font "sans,10" background rgb "white"
set output outbase.".png"
replot
set output
