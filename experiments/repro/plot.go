package repro

import (
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/pkg/errors"
)

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
