package experiments

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Plot size in inches.
const (
	plotWidth  = 7 * vg.Inch
	plotHeight = 4 * vg.Inch
)

// series is one line of a plot over steps.
type series struct {
	label    string
	xy       plotter.XYs
	dashed   bool
	color    int
	noLegend bool
}

// savePlot writes p as SVG to path, and also as PNG beside it when png
// is set.
func savePlot(p *plot.Plot, path string, png bool) error {
	fixAxes(p)
	paths := []string{path}
	if png {
		paths = append(paths, strings.TrimSuffix(path, filepath.Ext(path))+".png")
	}
	for _, out := range paths {
		err := drawSafely(out, func() error { return p.Save(plotWidth, plotHeight, out) })
		if err != nil {
			return errors.Wrapf(err, "experiments: writing %s", out)
		}
	}
	return nil
}

// newPlot returns a plot with a title, axis labels, a grid and the
// legend at the top left.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true
	return p
}

// legendMiddleRight moves the legend to the right, a third of the way
// up, where curves that start low and end high leave room.
func legendMiddleRight(p *plot.Plot) {
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.YOffs = plotHeight / 4
}

// addSeries draws lines in the palette's colors. Dashed lines share the
// color of the solid line with the same color index.
func addSeries(p *plot.Plot, ss []series) error {
	for _, s := range ss {
		if len(s.xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(clampXYs(s.xy))
		if err != nil {
			return errors.Wrapf(err, "experiments: plotting %s", s.label)
		}
		l.Color = plotutil.Color(s.color)
		l.Width = vg.Points(1.5)
		if s.dashed {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(l)
		if !s.noLegend {
			p.Legend.Add(s.label, l)
		}
	}
	return nil
}

// groupMeans returns, for each group, the records of every step averaged
// over the group's seeds by f. Steps missing in a seed are skipped.
func groupMeans(g *group, f func(*Record) float64) plotter.XYs {
	sum := map[int]float64{}
	count := map[int]int{}
	for _, run := range g.runs {
		for i := range run {
			v := f(&run[i])
			if math.IsNaN(v) {
				continue
			}
			sum[run[i].Step] += v
			count[run[i].Step]++
		}
	}
	steps := make([]int, 0, len(sum))
	for s := range sum {
		steps = append(steps, s)
	}
	sort.Ints(steps)
	xy := make(plotter.XYs, len(steps))
	for i, s := range steps {
		xy[i] = plotter.XY{X: float64(s), Y: sum[s] / float64(count[s])}
	}
	return xy
}

// plotSparsityAccuracy draws test accuracy (solid) and achieved sparsity
// (dashed) over steps, one color per group, averaged over seeds.
func plotSparsityAccuracy(groups []*group, path string, png bool) error {
	p := newPlot("Test accuracy (solid) and sparsity (dashed)", "step", "fraction")
	p.Y.Min, p.Y.Max = 0, 1.05
	legendMiddleRight(p)
	// Beyond two groups, one legend entry per group color keeps the
	// legend small, and the title names the line style of each quantity.
	short := len(groups) > 2
	var ss []series
	for i, g := range groups {
		accuracy := g.label + " accuracy"
		if short {
			accuracy = g.label
		}
		ss = append(ss,
			series{label: accuracy, color: i,
				xy: groupMeans(g, func(r *Record) float64 { return r.TestAccuracy })},
			series{label: g.label + " sparsity", color: i, dashed: true, noLegend: short,
				xy: groupMeans(g, func(r *Record) float64 { return r.Sparsity })})
	}
	if err := addSeries(p, ss); err != nil {
		return err
	}
	return savePlot(p, path, png)
}

// WriteRunPlots writes the run folder's plot of sparsity and accuracy
// over steps (PlotFile) from its records.
func WriteRunPlots(dir string, records []Record) error {
	return plotSparsityAccuracy(groupRecords(records), filepath.Join(dir, PlotFile), false)
}

// maxDecisionMarks is the maximum number of crosses per plot, because a
// policy such as track moves m every step and thousands of crosses
// would hide the line.
const maxDecisionMarks = 60

// plotSchedules draws λ of every penalty term over steps, averaged over
// seeds, into lambdaPath. Into multPath it draws the adaptive multiplier
// m of each term of each group's first seed, with that seed's policy
// decisions marked by crosses. It draws nothing and returns false when
// no run has penalty terms.
func plotSchedules(groups []*group, lambdaPath, multPath string, png bool) (bool, error) {
	lp := newPlot("Penalty strength λ(t), mean over seeds", "step", "λ")
	mp := newPlot("Adaptive multiplier m of the first seed (1 for a fixed schedule)",
		"step", "m")
	var lambdas, mults []series
	var decisions plotter.XYs
	next := 0
	for _, g := range groups {
		first := g.runs[0]
		for _, name := range g.termNames() {
			lambdas = append(lambdas, series{label: g.label + " " + name, color: next,
				xy: groupMeans(g, func(r *Record) float64 { return termField(r, name, false) })})
			mults = append(mults, series{label: g.label + " " + name, color: next,
				xy: runXYs(first, func(r *Record) float64 { return float64(r.Step) },
					func(r *Record) float64 { return termField(r, name, true) })})
			next++
		}
		for _, r := range first {
			for _, d := range r.Decisions {
				// Decision.Step counts from 0, so the move takes effect
				// after Step+1 completed steps, the x axis of the records.
				decisions = append(decisions, plotter.XY{X: float64(d.Step + 1), Y: d.New})
			}
		}
	}
	if len(lambdas) == 0 {
		return false, nil
	}
	if err := addSeries(lp, lambdas); err != nil {
		return false, err
	}
	if err := addSeries(mp, mults); err != nil {
		return false, err
	}
	if len(decisions) > 0 {
		every := (len(decisions) + maxDecisionMarks - 1) / maxDecisionMarks
		var marks plotter.XYs
		for i := 0; i < len(decisions); i += every {
			marks = append(marks, decisions[i])
		}
		sc, err := plotter.NewScatter(clampXYs(marks))
		if err != nil {
			return false, errors.Wrap(err, "experiments: plotting decisions")
		}
		sc.Shape = draw.CrossGlyph{}
		sc.Color = color.Black
		sc.Radius = vg.Points(3)
		mp.Add(sc)
		label := fmt.Sprintf("policy decision at its new m (%d)", len(decisions))
		if every > 1 {
			label = fmt.Sprintf("policy decision at its new m (every %d%s of %d)",
				every, ordinalSuffix(every), len(decisions))
		}
		mp.Legend.Add(label, sc)
	}
	if err := savePlot(lp, lambdaPath, png); err != nil {
		return false, err
	}
	return true, savePlot(mp, multPath, png)
}

// ordinalSuffix returns the English suffix of the ordinal n: "st" for
// 1, 21 and 31 but "th" for 11, and so on.
func ordinalSuffix(n int) string {
	if n%100 >= 11 && n%100 <= 13 {
		return "th"
	}
	switch n % 10 {
	case 1:
		return "st"
	case 2:
		return "nd"
	case 3:
		return "rd"
	}
	return "th"
}

// termField returns a term's λ or multiplier in r, NaN when r lacks it.
func termField(r *Record, name string, multiplier bool) float64 {
	for _, t := range r.Terms {
		if t.Name == name {
			if multiplier {
				return t.Multiplier
			}
			return t.Lambda
		}
	}
	return math.NaN()
}

// plotAccuracyVsSparsity draws each run's final test accuracy against
// its final sparsity, one color per group.
func plotAccuracyVsSparsity(groups []*group, path string, png bool) error {
	p := newPlot("Final test accuracy against final sparsity, one point per run",
		"sparsity", "test accuracy")
	p.Legend.Top, p.Legend.Left = false, true
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, g := range groups {
		var xy plotter.XYs
		for _, run := range g.runs {
			last := run[len(run)-1]
			xy = append(xy, plotter.XY{X: last.Sparsity, Y: last.TestAccuracy})
			lo, hi = math.Min(lo, last.TestAccuracy), math.Max(hi, last.TestAccuracy)
		}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return errors.Wrap(err, "experiments: plotting accuracy against sparsity")
		}
		sc.Color = plotutil.Color(i)
		sc.Shape = plotutil.Shape(i)
		sc.Radius = vg.Points(4)
		p.Add(sc)
		p.Legend.Add(g.label, sc)
	}
	p.X.Min, p.X.Max = -0.02, 1.02

	// Room under the points for the legend at the bottom: about 15
	// points of height per entry out of roughly 230 for the data area.
	share := math.Min(0.7, float64(len(groups))*15/230)
	span := math.Max(hi-lo, 0.01)
	p.Y.Min = lo - span*share/(1-share)
	p.Y.Max = hi + 0.05*span
	return savePlot(p, path, png)
}

// plotLayers draws a per-layer quantity over steps for one run: solid
// lines for f, dashed for the optional g.
func plotLayers(title, y string, run []Record, f, g func(*LayerRecord) float64,
	path string, png bool) error {
	p := newPlot(title, "step", y)
	legendMiddleRight(p)
	var ss []series
	for li, l := range run[0].Layers {
		var xy, xy2 plotter.XYs
		for _, r := range run {
			if li >= len(r.Layers) {
				continue
			}
			xy = append(xy, plotter.XY{X: float64(r.Step), Y: f(&r.Layers[li])})
			if g != nil {
				xy2 = append(xy2, plotter.XY{X: float64(r.Step), Y: g(&r.Layers[li])})
			}
		}
		ss = append(ss, series{label: l.Name, xy: xy, color: li})
		if g != nil {
			ss = append(ss, series{label: l.Name + " target", xy: xy2, color: li, dashed: true})
		}
	}
	if err := addSeries(p, ss); err != nil {
		return err
	}
	return savePlot(p, path, png)
}

// plotHistograms draws the weight-magnitude histogram of all weight
// matrices of one run at the given steps, counts over log10|w|.
func plotHistograms(run []Record, steps []int, path string, png bool) error {
	p := newPlot("Weight magnitudes at phase boundaries (exact zeros in the legend)",
		"log10 |w|", "weights per bin")
	p.Legend.Top, p.Legend.Left = true, true
	var ss []series
	for i, step := range steps {
		r := recordAt(run, step)
		if r == nil {
			continue
		}
		var zeros, total int
		var counts []int
		var edges []float64
		for _, l := range r.Layers {
			h := l.Histogram
			if counts == nil {
				counts = make([]int, len(h.Counts))
				edges = h.Edges
			}
			if len(h.Counts) != len(counts) || len(edges) != len(counts)+1 {
				continue // bins unlike the first layer's cannot be added up
			}
			for k, c := range h.Counts {
				counts[k] += c
			}
			zeros += h.Zeros
			total += l.Size
		}
		var xy plotter.XYs
		for k, c := range counts {
			mid := (math.Log10(edges[k]) + math.Log10(edges[k+1])) / 2
			xy = append(xy, plotter.XY{X: mid, Y: float64(c)})
		}
		share := 0.0
		if total > 0 {
			share = float64(zeros) / float64(total)
		}
		label := fmt.Sprintf("step %d: %.0f%% zeros", step, 100*share)
		ss = append(ss, series{label: label, xy: xy, color: i})
	}
	if err := addSeries(p, ss); err != nil {
		return err
	}
	return savePlot(p, path, png)
}

// recordAt returns the run's record at step, or nil.
func recordAt(run []Record, step int) *Record {
	for i := range run {
		if run[i].Step == step {
			return &run[i]
		}
	}
	return nil
}

// plotOverSteps draws one run-level quantity over steps for every group.
func plotOverSteps(groups []*group, title, y string, f func(*Record) float64,
	path string, png bool) error {
	p := newPlot(title, "step", y)
	p.Legend.Left = false // both quantities peak early, on the left
	var ss []series
	for i, g := range groups {
		ss = append(ss, series{label: g.label, xy: groupMeans(g, f), color: i})
	}
	if err := addSeries(p, ss); err != nil {
		return err
	}
	return savePlot(p, path, png)
}
