package experiments

import (
	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Series is one curve of a Figure. Err, when not nil, contains the
// half-width of a ± error bar at each point. Points draws markers only,
// Dashed a plain dashed line, and neither a line, with markers when it
// has at most maxMarkers points. Color indexes plotutil's palette, so
// series that share it share a color.
type Series struct {
	Name   string
	X, Y   []float64
	Err    []float64
	Points bool
	Dashed bool
	Color  int
}

// maxMarkers is the largest number of points of a Figure line drawn
// with markers. A longer curve is drawn as a plain line, so that the SVG
// stays small.
const maxMarkers = 20

// Figure is a plot of any number of series, drawn by SaveFigure in the
// style of the run reports.
type Figure struct {
	Title, XLabel, YLabel string
	LogX                  bool
	Series                []Series
}

// SaveFigure draws f as an SVG file at path (PNG when the name ends in
// ".png"). A series whose X, Y and Err lengths disagree is an error.
func SaveFigure(path string, f Figure) error {
	p := newPlot(f.Title, f.XLabel, f.YLabel)
	if f.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	for i, s := range f.Series {
		if err := addFigureSeries(p, i, s); err != nil {
			return err
		}
	}
	return savePlot(p, path, false)
}

func addFigureSeries(p *plot.Plot, i int, s Series) error {
	if len(s.X) != len(s.Y) || (s.Err != nil && len(s.Err) != len(s.Y)) {
		return errors.Errorf("experiments: SaveFigure: series %q has %d x, %d y and %d error values",
			s.Name, len(s.X), len(s.Y), len(s.Err))
	}
	pts := make(plotter.XYs, len(s.X))
	for k := range s.X {
		pts[k].X, pts[k].Y = s.X[k], s.Y[k]
	}
	color := plotutil.Color(s.Color)
	if s.Points {
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return errors.Wrapf(err, "experiments: SaveFigure: series %q", s.Name)
		}
		sc.Color, sc.Shape, sc.Radius = color, plotutil.Shape(i), vg.Points(2.5)
		p.Add(sc)
		if s.Name != "" {
			p.Legend.Add(s.Name, sc)
		}
	} else if s.Dashed || len(pts) > maxMarkers {
		line, err := plotter.NewLine(pts)
		if err != nil {
			return errors.Wrapf(err, "experiments: SaveFigure: series %q", s.Name)
		}
		line.Color, line.Width = color, vg.Points(1.5)
		if s.Dashed {
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(line)
		if s.Name != "" {
			p.Legend.Add(s.Name, line)
		}
	} else {
		line, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return errors.Wrapf(err, "experiments: SaveFigure: series %q", s.Name)
		}
		line.Color, line.Width = color, vg.Points(1.5)
		sc.Color, sc.Shape = color, plotutil.Shape(i)
		p.Add(line, sc)
		if s.Name != "" {
			p.Legend.Add(s.Name, line, sc)
		}
	}
	if s.Err != nil {
		bars, err := plotter.NewYErrorBars(errorBars{XYs: pts, err: s.Err})
		if err != nil {
			return errors.Wrapf(err, "experiments: SaveFigure: series %q", s.Name)
		}
		bars.Color = color
		p.Add(bars)
	}
	return nil
}

// errorBars gives plotter.NewYErrorBars symmetric bars.
type errorBars struct {
	plotter.XYs
	err []float64
}

func (e errorBars) YError(i int) (float64, float64) { return e.err[i], e.err[i] }
