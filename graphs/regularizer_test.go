package graphs_test

import (
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/ops"
)

// constant is a fixed multiplier λ(t) = v.
type constant float64

func (c constant) At(int) float64 { return float64(c) }

// noProx is a term without a proximal operator.
type noProx struct{}

func (noProx) Value(tensor.Tensor) (float64, error)        { return 0, nil }
func (noProx) AddGrad(_, _ tensor.Tensor, _ float64) error { return nil }

func weight(g *gorgonia.ExprGraph, dt tensor.Dtype, name string, v ...float64) *gorgonia.Node {
	var backing any = v
	if dt == tensor.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		backing = f
	}
	return gorgonia.NewVector(g, dt, gorgonia.WithShape(len(v)), gorgonia.WithName(name),
		gorgonia.WithValue(tensor.New(tensor.WithShape(len(v)), tensor.WithBacking(backing))))
}

func scalarOf(t *testing.T, v gorgonia.Value) float64 {
	t.Helper()
	switch x := v.(type) {
	case *gorgonia.F64:
		return float64(*x)
	case *gorgonia.F32:
		return float64(*x)
	}
	t.Fatalf("value %T is not a scalar", v)
	return 0
}

func TestRegularizerModes(t *testing.T) {
	g := gorgonia.NewGraph()
	reg := graphs.NewRegularizer(g)
	cases := []struct {
		term ops.Term
		opts []graphs.Option
		want graphs.Mode
	}{
		{ops.L1{}, nil, graphs.Proximal},
		{ops.ElasticNet{L1Ratio: 0.5}, nil, graphs.Proximal},
		{ops.GroupLasso{}, nil, graphs.Proximal},
		{ops.L2{}, nil, graphs.Gradient},
		{ops.LogSum{Eps: 0.1}, nil, graphs.Gradient},
		{ops.L1{}, []graphs.Option{graphs.WithMode(graphs.Gradient)}, graphs.Gradient},
		{ops.L2{}, []graphs.Option{graphs.WithMode(graphs.Proximal)}, graphs.Proximal},
	}
	for i, tc := range cases {
		w := weight(g, tensor.Float64, "w"+string(rune('a'+i)), 1, -2)
		if err := reg.Add(w, tc.term, constant(0.5), tc.opts...); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		e := reg.Entries()[i]
		if e.Mode != tc.want {
			t.Errorf("case %d (%v): mode %v; want %v", i, tc.term, e.Mode, tc.want)
		}
		if (e.Coef != nil) != (tc.want == graphs.Gradient) {
			t.Errorf("case %d (%v): Coef = %v in mode %v", i, tc.term, e.Coef, e.Mode)
		}
		if e.Coef != nil && e.Coef.Name() != e.Name {
			t.Errorf("case %d: coefficient node name %q; want entry name %q", i, e.Coef.Name(), e.Name)
		}
		if got, _ := reg.Coefficient(i); got != 0.5 {
			t.Errorf("case %d: Coefficient = %v; want s.At(0) = 0.5", i, got)
		}
	}
}

func TestRegularizerErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	w := weight(g, tensor.Float64, "w", 1, 2)
	other := weight(gorgonia.NewGraph(), tensor.Float64, "o", 1)
	s := gorgonia.NewScalar(g, tensor.Float64, gorgonia.WithName("s"))
	reg := graphs.NewRegularizer(g)
	if err := reg.Add(w, ops.L2{}, constant(1)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		err  error
	}{
		{"nil w", reg.Add(nil, ops.L2{}, constant(1))},
		{"nil term", reg.Add(w, nil, constant(1))},
		{"nil schedule", reg.Add(w, ops.L1{}, nil)},
		{"other graph", reg.Add(other, ops.L1{}, constant(1))},
		{"scalar w", reg.Add(s, ops.L1{}, constant(1))},
		{"duplicate", reg.Add(w, ops.L2{}, constant(2))},
		{"proximal without prox", reg.Add(w, noProx{}, constant(1), graphs.WithMode(graphs.Proximal))},
		{"invalid mode", reg.Add(w, ops.L1{}, constant(1), graphs.WithMode(graphs.Mode(7)))},
		{"taken name", reg.Add(w, ops.L1{}, constant(1), graphs.WithName("w"))},
		{"negative λ", reg.Add(w, ops.L1{}, constant(-1))},
		{"NaN λ", reg.Add(w, ops.L1{}, constant(math.NaN()))},
		{"index", reg.SetCoefficient(3, 1)},
		{"NaN coefficient", reg.SetCoefficient(0, math.NaN())},
		{"negative coefficient", reg.SetCoefficient(0, -0.5)},
	}
	for i, tc := range cases {
		if tc.err == nil {
			t.Errorf("case %d (%s): no error", i, tc.name)
		}
	}
	if n := len(reg.Entries()); n != 1 {
		t.Errorf("failed Adds registered entries: %d entries; want 1", n)
	}
	if got, _ := reg.Coefficient(0); got != 1 {
		t.Errorf("failed SetCoefficient changed the coefficient to %v", got)
	}

	if _, err := reg.Augment(nil); err == nil {
		t.Error("Augment(nil): no error")
	}
	if _, err := reg.Augment(w); err == nil {
		t.Error("Augment of a vector loss: no error")
	}
	loss := gorgonia.Must(gorgonia.Sum(w))
	if _, err := reg.Augment(loss); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Augment(loss); err == nil {
		t.Error("second Augment: no error")
	}
	if err := reg.Add(w, ops.L1{}, constant(1)); err == nil {
		t.Error("Add after Augment: no error")
	}
}

// TestSetCoefficientTapeMachine checks that a compiled TapeMachine reads
// a new coefficient on its next run, for the value and the gradient, and
// that SetCoefficient does not allocate.
func TestSetCoefficientTapeMachine(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		g := gorgonia.NewGraph()
		w := weight(g, dt, "w", 1, -2, 3)
		loss := gorgonia.Must(gorgonia.Sum(w)) // 2, gradient 1
		reg := graphs.NewRegularizer(g)
		if err := reg.Add(w, ops.L2{}, constant(0.5)); err != nil {
			t.Fatal(err)
		}
		cost, err := reg.Augment(loss)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := gorgonia.Grad(cost, w); err != nil {
			t.Fatal(err)
		}
		vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(w))
		defer vm.Close()

		// cost = Σw + λ·½‖w‖² = 2 + 7λ; ∂cost/∂w₀ = 1 + λ·w₀ = 1 + λ.
		for step, lambda := range []float64{0.5, 2, 0} {
			if step > 0 {
				if err := reg.SetCoefficient(0, lambda); err != nil {
					t.Fatal(err)
				}
			}
			// The machine adds into the bound gradient; solvers clear it.
			if g, err := w.Grad(); err == nil && g != nil {
				g.(tensor.Tensor).Zero()
			}
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			if got, want := scalarOf(t, cost.Value()), 2+7*lambda; math.Abs(got-want) > 1e-6 {
				t.Errorf("%v λ=%v: cost = %v; want %v", dt, lambda, got, want)
			}
			grad, err := w.Grad()
			if err != nil {
				t.Fatalf("%v λ=%v: %v", dt, lambda, err)
			}
			if got, want := grad.(tensor.Tensor).Data(), 1+lambda; math.Abs(toF64(got)-want) > 1e-6 {
				t.Errorf("%v λ=%v: ∂cost/∂w₀ = %v; want %v", dt, lambda, got, want)
			}
			vm.Reset()
		}

		allocs := testing.AllocsPerRun(100, func() {
			if err := reg.SetCoefficient(0, 0.25); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%v: SetCoefficient allocates %v times per call; want 0", dt, allocs)
		}
	}
}

// toF64 returns the first element of a float slice.
func toF64(d any) float64 {
	switch x := d.(type) {
	case []float64:
		return x[0]
	case []float32:
		return float64(x[0])
	}
	return math.NaN()
}

func TestAugmentOnlyGradientEntries(t *testing.T) {
	g := gorgonia.NewGraph()
	w := weight(g, tensor.Float64, "w", 3, -4)
	loss := gorgonia.Must(gorgonia.Sum(w))
	reg := graphs.NewRegularizer(g)
	if err := reg.Add(w, ops.L1{}, constant(10)); err != nil { // proximal: not in the loss
		t.Fatal(err)
	}
	if err := reg.Add(w, ops.L2{}, constant(0.1)); err != nil {
		t.Fatal(err)
	}
	cost, err := reg.Augment(loss)
	if err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	// −1 + 0.1·½·25
	if got, want := scalarOf(t, cost.Value()), -1+0.1*12.5; math.Abs(got-want) > 1e-12 {
		t.Errorf("cost = %v; want %v", got, want)
	}
}

func TestRegularizerUniqueNames(t *testing.T) {
	g := gorgonia.NewGraph()
	w := weight(g, tensor.Float64, "w", 1, 2)
	a, b := graphs.NewRegularizer(g), graphs.NewRegularizer(g)
	if err := a.Add(w, ops.L2{}, constant(1)); err != nil {
		t.Fatal(err)
	}
	if err := b.Add(w, ops.L2{}, constant(2)); err != nil {
		t.Fatal(err)
	}
	ea, eb := a.Entries()[0], b.Entries()[0]
	if ea.Name == eb.Name || ea.Coef == eb.Coef {
		t.Errorf("two regularizers share the coefficient %q / %q", ea.Name, eb.Name)
	}
}
