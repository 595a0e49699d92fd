package graphs_test

import (
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/ops"
	"github.com/regsched/regsched/schedules"
	"github.com/regsched/regsched/solvers"
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

// TestSensitivityFeedsDualPolicy trains a linear model f(x) = x·W for a
// few steps with a spectral norm penalty whose multiplier follows
// schedules.Dual on the signal "sensitivity", fed from the probe through
// Solver.Observe. With W = 2·I every ratio is 2, above the bound 1, so
// each step raises m by Rate·(2 − 1) = 0.5 as long as the measured
// sensitivity stays above the bound.
func TestSensitivityFeedsDualPolicy(t *testing.T) {
	g := gorgonia.NewGraph()
	cfg := graphs.MLPConfig{Sizes: []int{2, 2}, Batch: 3, Loss: graphs.MeanSquaredError, NoBias: true}
	m, err := graphs.NewMLP(g, cfg)
	if err != nil {
		t.Fatal(err)
	}
	randomInputs(t, m, cfg, 2)
	copy(m.Weights[0].Value().Data().([]float64), []float64{2, 0, 0, 2})

	dual := &schedules.Dual{Base: schedules.Constant{Value: 0.1}, Signal: "sensitivity", Bound: 1,
		Rate: 0.5, Bounds: schedules.Bounds{Init: 1, Min: 0, Max: 10}}
	reg := graphs.NewRegularizer(g)
	if err := reg.Add(m.Weights[0], &ops.SpectralNorm{Iters: 5}, dual); err != nil {
		t.Fatal(err)
	}
	cost, err := reg.Augment(m.Loss)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gorgonia.Grad(cost, m.Params()...); err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(m.Params()...))
	defer vm.Close()
	probe, err := graphs.NewSensitivityProbe(m.Output, m.X, graphs.SensitivityConfig{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	s, err := solvers.Wrap(gorgonia.NewVanillaSolver(gorgonia.WithLearnRate(1e-4)),
		solvers.WithRegularizer(reg), solvers.WithLearnRate(1e-4))
	if err != nil {
		t.Fatal(err)
	}

	wantM := 1.0
	for step := 0; step < 3; step++ {
		sens, err := probe.Measure()
		if err != nil {
			t.Fatal(err)
		}
		if sens.Mean <= 1 {
			t.Fatalf("step %d: sensitivity %v is not above the bound 1", step, sens.Mean)
		}
		s.Observe("sensitivity", sens.Mean)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		if err := s.Step(gorgonia.NodesToValueGrads(m.Params())); err != nil {
			t.Fatal(err)
		}
		vm.Reset()

		wantM += 0.5 * (sens.Mean - 1)
		if got := dual.M(); math.Abs(got-wantM) > 1e-12 {
			t.Errorf("step %d: multiplier %v; want %v", step, got, wantM)
		}
		coef, err := reg.Coefficient(0)
		if err != nil {
			t.Fatal(err)
		}
		if want := 0.1 * wantM; math.Abs(coef-want) > 1e-12 {
			t.Errorf("step %d: coefficient node holds %v; want 0.1·m = %v", step, coef, want)
		}
	}
}

// TestInputGradientLinear checks MeasureInputGradient on a linear model
// with the mean squared error L = 1/(B·k)·Σ_r ‖x_r·W − y_r‖², whose
// input gradient is ∂L/∂x_r = 2/(B·k)·(x_r·W − y_r)·Wᵀ (closed form), on
// a TapeMachine and a LispMachine.
func TestInputGradientLinear(t *testing.T) {
	const batch, in, out = 4, 3, 2
	wv := []float64{1, -2, 0.5, 3, -1, 0.25} // 3×2, row-major
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, machine := range []string{"tape", "lisp"} {
			g := gorgonia.NewGraph()
			cfg := graphs.MLPConfig{Sizes: []int{in, out}, Batch: batch,
				Loss: graphs.MeanSquaredError, NoBias: true, Dtype: dt}
			m, err := graphs.NewMLP(g, cfg)
			if err != nil {
				t.Fatal(err)
			}
			randomInputs(t, m, cfg, 4)
			if err := gorgonia.Let(m.Weights[0], tensorOf(dt, []int{in, out}, wv)); err != nil {
				t.Fatal(err)
			}
			x := floatsOfTensor(m.X.Value().(tensor.Tensor))
			y := floatsOfTensor(m.Y.Value().(tensor.Tensor))

			if _, err := graphs.MeasureInputGradient(m.X); err == nil {
				t.Errorf("%v %s: no error before x has a gradient", dt, machine)
			}
			var vm gorgonia.VM
			if machine == "tape" {
				if _, err := gorgonia.Grad(m.Loss, append(m.Params(), m.X)...); err != nil {
					t.Fatal(err)
				}
				vm = gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(m.Params()...))
			} else {
				vm = gorgonia.NewLispMachine(g)
			}
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			vm.Close()
			got, err := graphs.MeasureInputGradient(m.X)
			if err != nil {
				t.Fatalf("%v %s: %v", dt, machine, err)
			}

			var want graphs.InputGradient
			for r := 0; r < batch; r++ {
				var res [out]float64
				for j := 0; j < out; j++ {
					for k := 0; k < in; k++ {
						res[j] += x[r*in+k] * wv[k*out+j]
					}
					res[j] -= y[r*out+j]
				}
				var sq float64
				for k := 0; k < in; k++ {
					var d float64
					for j := 0; j < out; j++ {
						d += 2.0 / (batch * out) * res[j] * wv[k*out+j]
					}
					sq += d * d
				}
				want.Mean += math.Sqrt(sq) / batch
				want.Max = math.Max(want.Max, math.Sqrt(sq))
				want.Norm += sq
			}
			want.Norm = math.Sqrt(want.Norm)
			tol := 1e-12
			if dt == tensor.Float32 {
				tol = 1e-6
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"Mean", got.Mean, want.Mean}, {"Max", got.Max, want.Max}, {"Norm", got.Norm, want.Norm}} {
				if math.Abs(c.got-c.want) > tol*math.Max(1, c.want) {
					t.Errorf("%v %s: %s = %.12g; want %.12g", dt, machine, c.name, c.got, c.want)
				}
			}
		}
	}
}

func floatsOfTensor(t tensor.Tensor) []float64 {
	switch d := t.Data().(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	}
	return nil
}
