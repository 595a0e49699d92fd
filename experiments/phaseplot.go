package experiments

import (
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// phaseColors are the background colors of the phase labels, light
// enough for the lines drawn over them to stay readable.
var phaseColors = map[string]color.NRGBA{
	Simplification: {R: 0x4c, G: 0xaf, B: 0x50, A: 0x40},
	ForcedPruning:  {R: 0xf4, G: 0x43, B: 0x36, A: 0x40},
	Suppression:    {R: 0x21, G: 0x96, B: 0xf3, A: 0x38},
	Unregularized:  {R: 0x9e, G: 0x9e, B: 0x9e, A: 0x30},
	Regrowth:       {R: 0xff, G: 0xc1, B: 0x07, A: 0x50},
}

// addPhaseBands shades each phase of phases between y = lo and y = hi.
// With legend set, it adds one legend entry per label, in the order the
// labels first appear.
func addPhaseBands(p *plot.Plot, phases []Phase, lo, hi float64, legend bool) error {
	seen := map[string]bool{}
	lo, hi = clampMagnitude(lo), clampMagnitude(hi)
	for _, ph := range phases {
		band, err := plotter.NewPolygon(plotter.XYs{
			{X: float64(ph.From), Y: lo}, {X: float64(ph.To), Y: lo},
			{X: float64(ph.To), Y: hi}, {X: float64(ph.From), Y: hi},
		})
		if err != nil {
			return errors.Wrap(err, "experiments: plotting phases")
		}
		band.Color = phaseColors[ph.Label]
		band.LineStyle.Width = 0
		p.Add(band)
		if legend && !seen[ph.Label] {
			seen[ph.Label] = true
			p.Legend.Add(ph.Label, band)
		}
	}
	return nil
}

// plotPhases draws one run's overview in stacked panels that share the
// step axis, each shaded by phase. The top panel shows sparsity, its
// target and test accuracy, the next the training loss on a log scale.
// A third panel shows λ of each term when the run has penalty terms.
func plotPhases(title string, run []Record, phases []Phase, path string, png bool) error {
	top := newPlot(title, "", "fraction")
	top.Y.Min, top.Y.Max = 0, 1.05
	if err := addPhaseBands(top, phases, 0, 1.05, true); err != nil {
		return err
	}
	top.Legend.Top, top.Legend.Left = false, false // bottom right, under the late high curves
	step := func(r *Record) float64 { return float64(r.Step) }
	lines := []series{
		{label: "test accuracy", color: 0, xy: runXYs(run, step, func(r *Record) float64 { return r.TestAccuracy })},
		{label: "sparsity", color: 1, xy: runXYs(run, step, func(r *Record) float64 { return r.Sparsity })},
	}
	if pruned(run) {
		lines = append(lines, series{label: "target sparsity", color: 1, dashed: true,
			xy: runXYs(run, step, func(r *Record) float64 { return r.TargetSparsity })})
	}
	if err := addSeries(top, lines); err != nil {
		return err
	}

	loss := newPlot("", "", "train loss (nats)")
	loss.Y.Scale = plot.LogScale{}
	loss.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	// A log axis cannot show a loss of 0 or below, so such points are
	// left out.
	lossXY := positiveXYs(runXYs(run, step, func(r *Record) float64 { return r.TrainLoss }))
	lo, hi := positiveRange(lossXY)
	loss.Y.Min, loss.Y.Max = lo, hi
	if err := addPhaseBands(loss, phases, lo, hi, false); err != nil {
		return err
	}
	if err := addSeries(loss, []series{{label: "train loss", color: 2, xy: lossXY}}); err != nil {
		return err
	}
	loss.Legend = plot.NewLegend() // the axis label names the one line
	panels := []*plot.Plot{top, loss}

	if len(run[0].Terms) > 0 {
		lambda := newPlot("", "", "λ")
		lambda.Legend.Left = false
		var ss []series
		highest := 0.0
		for i, t := range run[0].Terms {
			name := t.Name
			xy := runXYs(run, step, func(r *Record) float64 { return termField(r, name, false) })
			for _, p := range xy {
				highest = math.Max(highest, p.Y)
			}
			ss = append(ss, series{label: "λ " + name, color: 3 + i, xy: xy})
		}
		if highest == 0 {
			highest = 1
		}
		// The headroom above the highest λ keeps the legend off the lines.
		lambda.Y.Min, lambda.Y.Max = 0, clampMagnitude(1.35*highest)
		if err := addPhaseBands(lambda, phases, 0, lambda.Y.Max, false); err != nil {
			return err
		}
		if err := addSeries(lambda, ss); err != nil {
			return err
		}
		panels = append(panels, lambda)
	}
	panels[len(panels)-1].X.Label.Text = "step"
	for _, p := range panels {
		p.X.Min = float64(run[0].Step)
		p.X.Max = float64(run[len(run)-1].Step)
		fixAxes(p)
	}
	return saveStacked(panels, path, png)
}

// pruned reports whether a pruning target above 0 appears in the run.
func pruned(run []Record) bool {
	for i := range run {
		if run[i].TargetSparsity > 0 {
			return true
		}
	}
	return false
}

// runXYs returns (x(r), y(r)) for each record of a run, skipping NaN.
func runXYs(run []Record, x, y func(*Record) float64) plotter.XYs {
	var xy plotter.XYs
	for i := range run {
		if v := y(&run[i]); !math.IsNaN(v) {
			xy = append(xy, plotter.XY{X: x(&run[i]), Y: v})
		}
	}
	return xy
}

// positiveRange returns the range of the positive y values of xy,
// widened by a tenth of a decade each way, for a log axis. It returns
// [0.1, 1] when no value is positive.
func positiveRange(xy plotter.XYs) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, p := range xy {
		if p.Y > 0 {
			lo, hi = math.Min(lo, p.Y), math.Max(hi, p.Y)
		}
	}
	if math.IsInf(lo, 1) {
		return 0.1, 1
	}
	return lo / math.Pow(10, 0.1), hi * math.Pow(10, 0.1)
}

// saveStacked writes plots stacked top to bottom, with aligned axes, as
// SVG to path and also as PNG beside it when png is set. The top panel
// gets plotHeight; each further panel gets half as much.
func saveStacked(panels []*plot.Plot, path string, png bool) error {
	rows := make([][]*plot.Plot, len(panels))
	for i, p := range panels {
		rows[i] = []*plot.Plot{p}
	}
	height := plotHeight + plotHeight/2*vg.Length(len(panels)-1)
	formats := []string{"svg"}
	if png {
		formats = append(formats, "png")
	}
	for _, format := range formats {
		c, err := draw.NewFormattedCanvas(plotWidth, height, format)
		if err != nil {
			return errors.Wrapf(err, "experiments: writing %s", path)
		}
		tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadY: vg.Points(4),
			PadTop: vg.Points(2), PadBottom: vg.Points(2), PadLeft: vg.Points(2), PadRight: vg.Points(6)}
		out := strings.TrimSuffix(path, filepath.Ext(path)) + "." + format
		err = drawSafely(out, func() error {
			canvases := plot.Align(rows, tiles, draw.New(c))
			for i, p := range panels {
				p.Draw(canvases[i][0])
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := writeCanvas(c, out); err != nil {
			return err
		}
	}
	return nil
}

// writeCanvas writes c to the file path.
func writeCanvas(c vg.CanvasWriterTo, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return errors.Wrap(err, "experiments")
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return errors.Wrapf(err, "experiments: writing %s", path)
	}
	return errors.Wrapf(f.Close(), "experiments: writing %s", path)
}
