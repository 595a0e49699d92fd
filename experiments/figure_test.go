package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSaveFigure(t *testing.T) {
	dir := t.TempDir()
	good := Figure{Title: "accuracy", XLabel: "sparsity", YLabel: "accuracy", LogX: true,
		Series: []Series{
			{Name: "line", X: []float64{1, 10}, Y: []float64{0.9, 0.8}, Err: []float64{0.01, 0.02}},
			{Name: "points", X: []float64{1, 10}, Y: []float64{0.7, 0.6}, Points: true, Color: 1},
			{Name: "dashed", X: []float64{1, 10}, Y: []float64{0.5, 0.5}, Dashed: true, Color: 2},
		}}
	path := filepath.Join(dir, "good.svg")
	if err := SaveFigure(path, good); err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "line", "points", "dashed"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	bad := []Series{
		{Name: "short y", X: []float64{1, 2}, Y: []float64{1}},
		{Name: "short err", X: []float64{1, 2}, Y: []float64{1, 2}, Err: []float64{1}},
	}
	for i, s := range bad {
		err := SaveFigure(filepath.Join(dir, "bad.svg"), Figure{Series: []Series{s}})
		if err == nil || !strings.Contains(err.Error(), s.Name) {
			t.Errorf("case %d: error %v, want one naming series %q", i, err, s.Name)
		}
	}
}
