package ops

import (
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// penaltyGraph builds cost = Σ(x·w) + Penalty(w, coef, term) so that the
// gradient reaching the penalty is 1 and w's gradient also carries x.
type penaltyGraph struct {
	g          *gorgonia.ExprGraph
	w, coef, x *gorgonia.Node
	cost       *gorgonia.Node
}

func newPenaltyGraph(t *testing.T, term Term, dt tensor.Dtype, shape []int, wv, xv []float64,
	c float64) *penaltyGraph {
	t.Helper()
	g := gorgonia.NewGraph()
	p := &penaltyGraph{g: g}
	p.w = gorgonia.NewTensor(g, dt, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName("w"),
		gorgonia.WithValue(denseOf(dt, shape, wv)))
	p.x = gorgonia.NewTensor(g, dt, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName("x"),
		gorgonia.WithValue(denseOf(dt, shape, xv)))
	var cv gorgonia.Value = gorgonia.NewF64(c)
	if dt == tensor.Float32 {
		cv = gorgonia.NewF32(float32(c))
	}
	p.coef = gorgonia.NewScalar(g, dt, gorgonia.WithName("coef"), gorgonia.WithValue(cv))
	pen, err := Penalty(p.w, p.coef, term)
	if err != nil {
		t.Fatal(err)
	}
	prod := gorgonia.Must(gorgonia.HadamardProd(p.x, p.w))
	p.cost = gorgonia.Must(gorgonia.Add(gorgonia.Must(gorgonia.Sum(prod)), pen))
	return p
}

func denseOf(dt tensor.Dtype, shape []int, v []float64) *tensor.Dense {
	if dt == tensor.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), v...)))
}

func toFloat64s(t *testing.T, v gorgonia.Value) []float64 {
	t.Helper()
	switch d := v.Data().(type) {
	case []float64:
		return d
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case float64:
		return []float64{d}
	case float32:
		return []float64{float64(d)}
	}
	t.Fatalf("unexpected value %T", v)
	return nil
}

// TestPenaltyMachines checks the value and both gradients of coef·R(w)
// on the TapeMachine (SymDiff) and the LispMachine (DoDiff) against the
// closed forms: ∂/∂w = x + coef·∇R(w), ∂/∂coef = R(w).
func TestPenaltyMachines(t *testing.T) {
	wv := []float64{1.5, -2, 0, 0.25, -0.5, 3}
	xv := []float64{0.1, 0.2, 0.3, -0.4, 0.5, -0.6}
	const c = 0.7
	cases := []struct {
		term  Term
		value float64   // R(w), by hand
		grad  []float64 // ∇R(w), by hand
	}{
		{L1{}, 7.25, []float64{1, -1, 0, 1, -1, 1}},
		{L2{}, (2.25 + 4 + 0 + 0.0625 + 0.25 + 9) / 2, wv},
	}
	for i, tc := range cases {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			tol := 1e-12
			if dt == tensor.Float32 {
				tol = 1e-5
			}
			var sumXW float64
			for k := range wv {
				sumXW += xv[k] * wv[k]
			}
			wantCost := sumXW + c*tc.value
			wantW := make([]float64, len(wv))
			for k := range wv {
				wantW[k] = xv[k] + c*tc.grad[k]
			}

			for _, machine := range []string{"tape", "lisp"} {
				p := newPenaltyGraph(t, tc.term, dt, []int{2, 3}, wv, xv, c)
				var vm gorgonia.VM
				if machine == "tape" {
					if _, err := gorgonia.Grad(p.cost, p.w, p.coef); err != nil {
						t.Fatalf("case %d %v %s: Grad: %v", i, dt, machine, err)
					}
					vm = gorgonia.NewTapeMachine(p.g, gorgonia.BindDualValues(p.w, p.coef))
				} else {
					vm = gorgonia.NewLispMachine(p.g)
				}
				if err := vm.RunAll(); err != nil {
					t.Fatalf("case %d %v %s: RunAll: %v", i, dt, machine, err)
				}
				cost := toFloat64s(t, p.cost.Value())[0]
				if math.Abs(cost-wantCost) > tol*math.Max(1, math.Abs(wantCost)) {
					t.Errorf("case %d %v %s: cost = %v; want %v", i, dt, machine, cost, wantCost)
				}
				wg, err := p.w.Grad()
				if err != nil {
					t.Fatalf("case %d %v %s: w.Grad: %v", i, dt, machine, err)
				}
				for k, got := range toFloat64s(t, wg) {
					if math.Abs(got-wantW[k]) > tol*math.Max(1, math.Abs(wantW[k])) {
						t.Errorf("case %d %v %s: ∂/∂w[%d] = %v; want %v", i, dt, machine, k, got, wantW[k])
					}
				}
				cg, err := p.coef.Grad()
				if err != nil {
					t.Fatalf("case %d %v %s: coef.Grad: %v", i, dt, machine, err)
				}
				if got := toFloat64s(t, cg)[0]; math.Abs(got-tc.value) > tol*math.Max(1, tc.value) {
					t.Errorf("case %d %v %s: ∂/∂coef = %v; want %v", i, dt, machine, got, tc.value)
				}
				vm.Close()
			}
		}
	}
}

func TestPenaltyHashDistinct(t *testing.T) {
	terms := []Term{
		L1{}, L2{}, ElasticNet{L1Ratio: 0.5}, ElasticNet{L1Ratio: 0.25},
		LogSum{Eps: 0.1}, LogSum{Eps: 0.01},
		GroupLasso{Axis: 0}, GroupLasso{Axis: 1}, GroupLasso{Axes: []int{0, 1}},
		Hoyer{}, TotalVariation{Axis: 0}, TotalVariation{Axis: 1},
		Orthogonality{}, Nuclear{}, Decorrelation{},
		&SpectralNorm{Iters: 1}, &SpectralNorm{Iters: 2},
		NonNegative{}, Box{Lo: 0, Hi: 1}, Box{Lo: 0, Hi: 2}, MaxNorm{Max: 1, Axis: 0},
		MaxNorm{Max: 1, Axis: 1}, L1Ball{Radius: 1}, L1Ball{Radius: 2},
	}
	seen := make(map[uint32]string)
	for i, term := range terms {
		op := newPenaltyOp(term, 2)
		h := op.Hashcode()
		if prev, ok := seen[h]; ok {
			t.Errorf("case %d: %v hashes like %v (%#x)", i, op, prev, h)
		}
		seen[h] = op.String()
		grad := &penaltyGradOp{*op}
		if prev, ok := seen[grad.Hashcode()]; ok {
			t.Errorf("case %d: %v hashes like %v", i, grad, prev)
		}
		seen[grad.Hashcode()] = grad.String()
		if again := newPenaltyOp(term, 2).Hashcode(); again != h {
			t.Errorf("case %d: %v hash is not stable: %#x then %#x", i, op, h, again)
		}
	}
	if newPenaltyOp(L1{}, 1).Hashcode() == newPenaltyOp(L1{}, 2).Hashcode() {
		t.Error("L1 penalties on a vector and a matrix share a hash")
	}
}

func TestPenaltyGraphNodesNotMerged(t *testing.T) {
	g := gorgonia.NewGraph()
	w := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 2), gorgonia.WithName("w"),
		gorgonia.WithInit(gorgonia.Ones()))
	c := gorgonia.NewScalar(g, tensor.Float64, gorgonia.WithName("c"), gorgonia.WithValue(1.0))
	a, err := Penalty(w, c, ElasticNet{L1Ratio: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Penalty(w, c, ElasticNet{L1Ratio: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("penalties with different L1Ratio were merged into one node")
	}
	same, err := Penalty(w, c, ElasticNet{L1Ratio: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if same != a {
		t.Error("identical penalties were not merged")
	}
}

func TestPenaltyErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	w := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 2), gorgonia.WithName("w"))
	w32 := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(2, 2), gorgonia.WithName("w32"))
	c := gorgonia.NewScalar(g, tensor.Float64, gorgonia.WithName("c"))
	v := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(2), gorgonia.WithName("v"))
	other := gorgonia.NewScalar(gorgonia.NewGraph(), tensor.Float64, gorgonia.WithName("o"))
	cases := []struct {
		w, coef *gorgonia.Node
		term    Term
	}{
		{nil, c, L1{}},
		{w, nil, L1{}},
		{w, c, nil},
		{c, c, L1{}},
		{w, v, L1{}},
		{w32, c, L1{}},
		{w, other, L1{}},
	}
	for i, tc := range cases {
		if _, err := Penalty(tc.w, tc.coef, tc.term); err == nil {
			t.Errorf("case %d: Penalty returned no error", i)
		}
	}
}
