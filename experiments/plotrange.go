package experiments

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// maxPlotMagnitude bounds the axis limits of every plot. Gonum's tick
// finder needs the span of an axis to be finite, and the span of two
// limits near ±math.MaxFloat64 is not.
const maxPlotMagnitude = 1e300

// fixAxes makes both axes of p drawable for any finite data. A limit
// beyond maxPlotMagnitude is clamped to it. A zero range is widened by
// 5% of its magnitude, because gonum's own ±1 padding vanishes in
// rounding for a constant line at 1e17. A log axis gets positive limits.
func fixAxes(p *plot.Plot) {
	fixAxis(&p.X)
	fixAxis(&p.Y)
}

func fixAxis(a *plot.Axis) {
	lo, hi := clampMagnitude(a.Min), clampMagnitude(a.Max)
	if lo > hi {
		lo, hi = hi, lo
	}
	if _, isLog := a.Scale.(plot.LogScale); isLog {
		if !(hi > 0) {
			lo, hi = 0.1, 1
		}
		if !(lo > 0) {
			lo = hi / 10
		}
		if hi <= lo*(1+1e-9) {
			lo, hi = lo/2, hi*2
		}
		a.Min, a.Max = lo, hi
		return
	}
	magnitude := math.Max(math.Abs(lo), math.Abs(hi))
	if hi-lo <= 1e-9*magnitude || hi == lo {
		pad := 0.05 * magnitude
		if pad == 0 {
			pad = 1
		}
		lo, hi = lo-pad, hi+pad
	}
	a.Min, a.Max = lo, hi
}

// clampMagnitude limits v, infinities included, to ±maxPlotMagnitude.
// NaN becomes 0.
func clampMagnitude(v float64) float64 {
	switch {
	case math.IsNaN(v):
		return 0
	case v > maxPlotMagnitude:
		return maxPlotMagnitude
	case v < -maxPlotMagnitude:
		return -maxPlotMagnitude
	}
	return v
}

// clampXYs returns a copy of xy with every coordinate limited to
// ±maxPlotMagnitude, so that a mean of values near math.MaxFloat64,
// which overflows to infinity, still draws at the edge of the plot.
func clampXYs(xy plotter.XYs) plotter.XYs {
	out := make(plotter.XYs, len(xy))
	for i, p := range xy {
		out[i] = plotter.XY{X: clampMagnitude(p.X), Y: clampMagnitude(p.Y)}
	}
	return out
}

// positiveXYs returns the points of xy whose y is above 0, the ones a
// log y axis can show.
func positiveXYs(xy plotter.XYs) plotter.XYs {
	var out plotter.XYs
	for _, p := range xy {
		if p.Y > 0 {
			out = append(out, p)
		}
	}
	return out
}

// drawSafely runs draw and turns a panic of the plotting library into an
// error naming path. Gonum's plot panics on ranges it cannot tick, and a
// report must fail cleanly rather than crash.
func drawSafely(path string, draw func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("experiments: drawing %s failed: %v", path, r)
		}
	}()
	return draw()
}

// checkRecord returns an error naming the first field of r that no run
// can produce: a negative step, count or time, or a fraction outside
// [0, 1].
func checkRecord(r *Record) error {
	ints := []struct {
		name string
		v    int
	}{{"step", r.Step}, {"params", r.Params}, {"nonzero", r.NonZero},
		{"mask_flips", r.MaskFlips}, {"mask_updates", r.MaskUpdates}}
	for _, f := range ints {
		if f.v < 0 {
			return errors.Errorf("%s (%d) is negative", f.name, f.v)
		}
	}
	if r.Time < 0 {
		return errors.Errorf("time_s (%g) is negative", r.Time)
	}
	fractions := []struct {
		name string
		v    float64
	}{{"train_accuracy", r.TrainAccuracy}, {"test_accuracy", r.TestAccuracy},
		{"sparsity", r.Sparsity}, {"target_sparsity", r.TargetSparsity}}
	for _, f := range fractions {
		if f.v < 0 || f.v > 1 {
			return errors.Errorf("%s (%g) is outside [0, 1]", f.name, f.v)
		}
	}
	for i, l := range r.Layers {
		if l.Size < 0 || l.Zeros < 0 || l.Zeros > l.Size {
			return errors.Errorf("layer %d (%s): zeros (%d) must be in [0, size (%d)]",
				i, l.Name, l.Zeros, l.Size)
		}
		if n := len(l.Histogram.Counts); n > 0 && len(l.Histogram.Edges) != n+1 {
			return errors.Errorf("layer %d (%s): histogram has %d counts but %d edges, expected %d",
				i, l.Name, n, len(l.Histogram.Edges), n+1)
		}
		for _, e := range l.Histogram.Edges {
			if !(e > 0) {
				return errors.Errorf("layer %d (%s): histogram edge %s is not positive",
					i, l.Name, fmt.Sprint(e))
			}
		}
	}
	return nil
}
