package graphs_test

import (
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/graphs"
)

// TestSensitivityLinear checks the probe on f(x) = x·W. For W = 2·P with P
// a permutation, ‖δW‖ = 2‖δ‖ for every δ, so every ratio is exactly 2.
// For a general W every ratio lies between its smallest and largest
// singular values.
func TestSensitivityLinear(t *testing.T) {
	cases := []struct {
		w      []float64
		lo, hi float64 // singular value bounds, by hand
		name   string
	}{
		{[]float64{0, 2, 0, 0, 0, 2, 2, 0, 0}, 2, 2, "scaled permutation"},
		// diag(3, 1, 0.5)
		{[]float64{3, 0, 0, 0, 1, 0, 0, 0, 0.5}, 0.5, 3, "diagonal"},
	}
	for i, tc := range cases {
		g := gorgonia.NewGraph()
		cfg := graphs.MLPConfig{Sizes: []int{3, 3}, Batch: 4, Loss: graphs.MeanSquaredError,
			NoBias: true}
		m, err := graphs.NewMLP(g, cfg)
		if err != nil {
			t.Fatal(err)
		}
		randomInputs(t, m, cfg, 1)
		copy(m.Weights[0].Value().Data().([]float64), tc.w)
		x0 := append([]float64(nil), m.X.Value().Data().([]float64)...)

		p, err := graphs.NewSensitivityProbe(m.Output, m.X, graphs.SensitivityConfig{Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		s, err := p.Measure()
		if err != nil {
			t.Fatal(err)
		}
		p.Close()
		if s.Ratios != 16 {
			t.Errorf("case %d (%s): %d ratios; want 4 rows × 4 samples", i, tc.name, s.Ratios)
		}
		if s.Mean < tc.lo-1e-9 || s.Max > tc.hi+1e-9 || s.Mean > s.Max {
			t.Errorf("case %d (%s): mean %v, max %v; want within [%v, %v]", i, tc.name, s.Mean,
				s.Max, tc.lo, tc.hi)
		}
		if tc.lo == tc.hi && math.Abs(s.Mean-tc.lo) > 1e-9 {
			t.Errorf("case %d (%s): mean %v; want exactly %v", i, tc.name, s.Mean, tc.lo)
		}
		for k, v := range m.X.Value().Data().([]float64) {
			if v != x0[k] {
				t.Fatalf("case %d (%s): x[%d] = %v after Measure; want %v restored", i, tc.name, k, v, x0[k])
			}
		}
	}
}

func TestSensitivityErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	m, err := graphs.NewMLP(g, graphs.MLPConfig{Sizes: []int{3, 2}, Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	other := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(5, 3), gorgonia.WithName("o"))
	cases := []struct {
		out, x *gorgonia.Node
		cfg    graphs.SensitivityConfig
	}{
		{nil, m.X, graphs.SensitivityConfig{}},
		{m.Output, other, graphs.SensitivityConfig{}},
		{m.Loss, m.X, graphs.SensitivityConfig{}},
		{m.Output, m.X, graphs.SensitivityConfig{Radius: -1}},
		{m.Output, m.X, graphs.SensitivityConfig{Samples: -1}},
	}
	for i, tc := range cases {
		if _, err := graphs.NewSensitivityProbe(tc.out, tc.x, tc.cfg); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
}
