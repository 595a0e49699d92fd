package repro

import (
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one curve of a plot. Err, when not nil, holds a ± error bar
// half-width per point. Points draws markers only; otherwise a line with
// markers is drawn. Color indexes plotutil's palette; series that share
// it share a colour.
type Series struct {
	Name   string
	X, Y   []float64
	Err    []float64
	Points bool
	Dashed bool
	Color  int
}

// Figure describes a plot saved by SavePlot.
type Figure struct {
	Title, XLabel, YLabel string
	LogX                  bool
	Series                []Series
}

// SavePlot draws f as a 6×4 inch SVG at path.
func SavePlot(path string, f Figure) error {
	p := plot.New()
	p.Title.Text = f.Title
	p.X.Label.Text = f.XLabel
	p.Y.Label.Text = f.YLabel
	if f.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	for i, s := range f.Series {
		if len(s.X) != len(s.Y) || (s.Err != nil && len(s.Err) != len(s.Y)) {
			return errors.Errorf("repro: SavePlot: series %q has %d x, %d y and %d error values",
				s.Name, len(s.X), len(s.Y), len(s.Err))
		}
		pts := make(plotter.XYs, len(s.X))
		for k := range s.X {
			pts[k].X, pts[k].Y = s.X[k], s.Y[k]
		}
		color := plotutil.Color(s.Color)
		shape := plotutil.Shape(i)
		if s.Points {
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return errors.Wrapf(err, "repro: SavePlot: series %q", s.Name)
			}
			sc.Color, sc.Shape, sc.Radius = color, shape, vg.Points(2.5)
			p.Add(sc)
			if s.Name != "" {
				p.Legend.Add(s.Name, sc)
			}
		} else {
			line, sc, err := plotter.NewLinePoints(pts)
			if err != nil {
				return errors.Wrapf(err, "repro: SavePlot: series %q", s.Name)
			}
			line.Color, sc.Color, sc.Shape = color, color, shape
			if s.Dashed {
				line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
				sc.Shape = draw.CircleGlyph{}
				sc.Radius = 0
			}
			p.Add(line, sc)
			if s.Name != "" {
				p.Legend.Add(s.Name, line, sc)
			}
		}
		if s.Err != nil {
			eb := errorBars{XYs: pts, err: s.Err}
			bars, err := plotter.NewYErrorBars(eb)
			if err != nil {
				return errors.Wrapf(err, "repro: SavePlot: series %q", s.Name)
			}
			bars.Color = color
			p.Add(bars)
		}
	}
	if err := p.Save(6*vg.Inch, 4*vg.Inch, path); err != nil {
		return errors.Wrapf(err, "repro: SavePlot: writing %s", path)
	}
	return nil
}

type errorBars struct {
	plotter.XYs
	err []float64
}

func (e errorBars) YError(i int) (float64, float64) { return e.err[i], e.err[i] }

// SaveGridSVG writes a rows×cols grid of cells as an SVG image, each cell
// shaded from white (0) to black (the largest value), with the value
// printed when label is true. It shows, for example, which input groups
// of an 8×8 image survive a group-lasso penalty.
func SaveGridSVG(path, title string, values []float64, rows, cols int, label bool) error {
	if rows <= 0 || cols <= 0 || len(values) != rows*cols {
		return errors.Errorf("repro: SaveGridSVG: %d values for a %d×%d grid", len(values), rows, cols)
	}
	max := 0.0
	for _, v := range values {
		max = math.Max(max, v)
	}
	const cell, top = 40, 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" `+
		`font-family="sans-serif">`+"\n", cols*cell, rows*cell+top)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="13" text-anchor="middle">%s</text>`+"\n",
		cols*cell/2, title)
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			v := values[r*cols+c]
			shade := 255
			if max > 0 {
				shade = 255 - int(math.Round(255*v/max))
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="rgb(%d,%d,%d)" `+
				`stroke="#999" stroke-width="0.5"/>`+"\n", c*cell, top+r*cell, cell, cell,
				shade, shade, shade)
			if label {
				ink := "black"
				if shade < 128 {
					ink = "white"
				}
				fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" text-anchor="middle" `+
					`fill="%s">%.2g</text>`+"\n", c*cell+cell/2, top+r*cell+cell/2+4, ink, v)
			}
		}
	}
	b.WriteString("</svg>\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return errors.Wrap(err, "repro: SaveGridSVG")
	}
	return nil
}
