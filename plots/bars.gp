# bars.gp — one bar per variant of one experiment: the median of hyperfine's
# runs, with an error bar from the fastest to the slowest run.  C variants are
# blue, CPython's (py-*) orange.
#
#   gnuplot -e "datafile='bars.dat'; outbase='out/factorize'; chart_title='factorize'" bars.gp
#
# datafile: one line per variant, columns: name median min max language(1 = C, 2 = Python).
# Writes OUTBASE.svg and OUTBASE.png.

set title chart_title noenhanced
set ylabel "seconds (median; bar: fastest to slowest run)"
set yrange [0:*]
set grid ytics
set style fill solid 0.7 border -1
set boxwidth 0.6
set xtics rotate by -25 noenhanced
set linetype 1 lc rgb "#3b6ea5"
set linetype 2 lc rgb "#e07b28"
unset key

set terminal svg size 900,500 dynamic font "sans,11" background rgb "white"
set output outbase.".svg"
plot datafile using 0:2:5:xtic(1) with boxes lc variable, \
     ''       using 0:2:3:4 with yerrorbars lc rgb "black" pt -1, \
     ''       using 0:4:(sprintf("%.3g s", $2)) with labels offset 0,0.8 font ",9"

set terminal pngcairo size 900,500 font "sans,10" background rgb "white"
set output outbase.".png"
replot
set output
