# size_sweep.gp — where the parallel variants start to pay: each variant's
# median time (top) and its speedup over the sequential variant at the same
# size (bottom) against the size of the work, on log axes; the crossovers
# (speedup 1, interpolated between the two sizes around it) are marked.
#
#   gnuplot -e "datafile='size-sweep.dat'; crossfile='size-crossover.dat'; crossings=2; blocks=6; outbase='out/x-size-sweep'; chart_title='...'; size_label='--base'" size_sweep.gp
#
# datafile: one block per variant (blocks separated by two blank lines), its
# first line the variant's name in quotes, then: size median_seconds speedup.
# crossfile: one line per crossover: size "variant"; crossings: how many.
# Writes OUTBASE.svg and OUTBASE.png.

set logscale x
set grid
set key outside right top noenhanced
set xlabel size_label noenhanced

set terminal svg size 900,760 dynamic font "sans,11" background rgb "white"
set output outbase.".svg"
cross_term = crossings > 0 ? \
  ', crossfile using 1:(1) with points pt 6 ps 2.5 lw 2 lc rgb "black" title "starts to pay"' : ''
load_panels = 'set multiplot layout 2,1 title chart_title noenhanced; \
  set logscale y; set ylabel "median time (s)"; \
  plot for [i=0:blocks-1] datafile index i using 1:2 with linespoints lt i+1 pt i+4 lw 2 title columnheader(1); \
  unset logscale y; set ylabel "speedup over seq at the same size (x)"; set yrange [0:*]; \
  plot 1 with lines dt 3 lc rgb "gray40" title "1: as fast as seq", \
       for [i=1:blocks-1] datafile index i using 1:3 with linespoints lt i+1 pt i+4 lw 2 title columnheader(1)'.cross_term.'; \
  unset multiplot; set autoscale y'
eval load_panels

set terminal pngcairo size 900,760 font "sans,10" background rgb "white"
set output outbase.".png"
eval load_panels
set output
