# bars.gp — one bar per variant of one experiment: the median of hyperfine's
# runs, with an error bar from the fastest to the slowest run.  C variants are
# blue, CPython's (py-*) orange.  When the slowest median is more than ten
# times the fastest (C's milliseconds beside CPython's seconds), the time axis
# is logarithmic, so that every bar stays readable; otherwise it is linear
# from zero, where heights compare directly.
#
#   gnuplot -e "datafile='bars.dat'; outbase='out/factorize'; chart_title='factorize'" bars.gp
#
# datafile: one line per variant, tab-separated columns:
#   name median min max language(1 = C, 2 = Python).
# Writes OUTBASE.svg and OUTBASE.png.

set datafile separator "\t"
stats datafile using 2 nooutput
logscale = STATS_max > 10 * STATS_min
stats datafile using 3 nooutput
fastest = STATS_min
stats datafile using 4 nooutput
slowest = STATS_max

# A time as a person reads it: milliseconds below one second.
duration(t) = t < 1 ? sprintf("%.3g ms", t * 1000) : sprintf("%.3g s", t)

set title chart_title noenhanced
set grid ytics
set style fill solid 0.7 border -1
set xtics rotate by -25 noenhanced
set xrange [-0.6:STATS_records - 0.4]
set linetype 1 lc rgb "#3b6ea5"
set linetype 2 lc rgb "#e07b28"
unset key

if (logscale) {
    # Decades of seconds, named in the unit a person would say.
    set logscale y
    floor_s = 10 ** floor(log10(fastest) - 0.3)
    set yrange [floor_s:10 ** ceil(log10(slowest) + 0.2)]
    set ytics ("10 µs" 1e-5, "0.1 ms" 1e-4, "1 ms" 1e-3, "10 ms" 1e-2, "0.1 s" 0.1, \
               "1 s" 1, "10 s" 10, "100 s" 100, "1000 s" 1000)
    set mytics 10
    set ylabel "time, log scale (median; bar: fastest to slowest run)"
} else {
    floor_s = 0
    set yrange [0:*]
    set ylabel "seconds (median; bar: fastest to slowest run)"
}

set terminal svg size 900,500 dynamic font "sans,11" background rgb "white"
set output outbase.".svg"
plot datafile using 0:2:($0 - 0.3):($0 + 0.3):(floor_s):2:5:xtic(1) with boxxyerror lc variable, \
     ''       using 0:2:3:4 with yerrorbars lc rgb "black" pt 7 ps 0, \
     ''       using 0:4:(duration($2)) with labels offset 0,0.8 font ",9"

set terminal pngcairo size 900,500 font "sans,10" background rgb "white"
set output outbase.".png"
replot
set output
