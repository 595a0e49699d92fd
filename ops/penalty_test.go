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
				cost := floatsOf(p.cost.Value())[0]
				if math.Abs(cost-wantCost) > tol*math.Max(1, math.Abs(wantCost)) {
					t.Errorf("case %d %v %s: cost = %v; want %v", i, dt, machine, cost, wantCost)
				}
				wg, err := p.w.Grad()
				if err != nil {
					t.Fatalf("case %d %v %s: w.Grad: %v", i, dt, machine, err)
				}
				for k, got := range floatsOf(wg) {
					if math.Abs(got-wantW[k]) > tol*math.Max(1, math.Abs(wantW[k])) {
						t.Errorf("case %d %v %s: ∂/∂w[%d] = %v; want %v", i, dt, machine, k, got, wantW[k])
					}
				}
				cg, err := p.coef.Grad()
				if err != nil {
					t.Fatalf("case %d %v %s: coef.Grad: %v", i, dt, machine, err)
				}
				if got := floatsOf(cg)[0]; math.Abs(got-tc.value) > tol*math.Max(1, tc.value) {
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
		// Settings one unit in the last place apart, and 4-D groups.
		LogSum{Eps: math.Nextafter(0.1, 1)}, ElasticNet{L1Ratio: math.Nextafter(0.5, 0)},
		GroupLasso{Axes: []int{1, 2, 3}}, GroupLasso{Axes: []int{0, 2, 3}},
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

func TestPenaltyTypeAndShape(t *testing.T) {
	cases := []struct {
		dims     int
		wantType string
	}{
		{1, "Vector a → a → a"},
		{2, "Matrix a → a → a"},
		{4, "Tensor-4 a → a → a"},
	}
	for i, tc := range cases {
		op := newPenaltyOp(L1{}, tc.dims)
		if got := op.Type().String(); got != tc.wantType {
			t.Errorf("case %d: Type = %q; want %q", i, got, tc.wantType)
		}
		s, err := op.InferShape(tensor.Shape{2, 3})
		if err != nil {
			t.Fatalf("case %d: InferShape: %v", i, err)
		}
		if !s.IsScalar() {
			t.Errorf("case %d: InferShape = %v; want a scalar shape", i, s)
		}
		if op.Arity() != 2 {
			t.Errorf("case %d: Arity = %d; want 2 (w, coef)", i, op.Arity())
		}
	}

	grad := &penaltyGradOp{*newPenaltyOp(L1{}, 2)}
	if got, want := grad.Type().String(), "Matrix a → a → a → Matrix a"; got != want {
		t.Errorf("gradient op Type = %q; want %q", got, want)
	}
	in := tensor.Shape{2, 3}
	s, err := grad.InferShape(in, tensor.ScalarShape(), tensor.ScalarShape())
	if err != nil {
		t.Fatal(err)
	}
	if !s.Eq(in) {
		t.Errorf("gradient op InferShape = %v; want w's shape %v", s, in)
	}
	s[0] = 7
	if in[0] != 2 {
		t.Error("gradient op InferShape returned w's shape itself rather than a copy")
	}

	g := gorgonia.NewGraph()
	w := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(2, 1, 3, 3), gorgonia.WithName("w"))
	c := gorgonia.NewScalar(g, tensor.Float32, gorgonia.WithName("c"))
	p, err := Penalty(w, c, GroupLasso{Axes: []int{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsScalar() || p.Dtype() != tensor.Float32 {
		t.Errorf("Penalty node has shape %v and dtype %v; want a float32 scalar", p.Shape(), p.Dtype())
	}
}

// TestPenaltyCoefficientInput checks that writing a new value into the
// coefficient node changes the penalty on the next run of the same
// compiled machine.
func TestPenaltyCoefficientInput(t *testing.T) {
	g := gorgonia.NewGraph()
	w := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(3), gorgonia.WithName("w"),
		gorgonia.WithValue(denseOf(tensor.Float64, []int{3}, []float64{1, -2, 0.5})))
	c := gorgonia.NewScalar(g, tensor.Float64, gorgonia.WithName("c"), gorgonia.WithValue(0.5))
	p, err := Penalty(w, c, L1{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gorgonia.Grad(p, w); err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(w))
	defer vm.Close()
	for i, coef := range []float64{0.5, 2, 0} {
		if err := gorgonia.Let(c, coef); err != nil {
			t.Fatal(err)
		}
		if err := vm.RunAll(); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if got, want := floatsOf(p.Value())[0], coef*3.5; got != want {
			t.Errorf("run %d: penalty = %v; want %v·‖w‖₁ = %v", i, got, coef, want)
		}
		wg, err := w.Grad()
		if err != nil {
			t.Fatal(err)
		}
		want := []float64{coef, -coef, coef}
		for k, got := range floatsOf(wg) {
			if got != want[k] {
				t.Errorf("run %d: ∂/∂w[%d] = %v; want %v", i, k, got, want[k])
			}
		}
		// The TapeMachine adds into w's gradient, so zero it as a solver's
		// step would.
		wg.(tensor.Tensor).Zero()
		vm.Reset()
	}
}

// TestPenaltyTrainLispMachine minimises ½‖w − a‖² + λ·R(w) by gradient
// descent on a LispMachine, so only DoDiff supplies the penalty's
// gradient. For L2 the minimiser is a/(1+λ). For group lasso it is the
// block soft threshold of a at λ, which Prox returns, and the objective
// is smooth there because every row of a has norm above λ.
func TestPenaltyTrainLispMachine(t *testing.T) {
	a := []float64{3, 4, -1, 2, 0.5, -2}
	const lambda, eta, steps = 0.5, 0.2, 300
	cases := []struct {
		term Term
		want []float64
	}{
		{L2{}, []float64{2, 8.0 / 3, -2.0 / 3, 4.0 / 3, 1.0 / 3, -4.0 / 3}},
		// Row norms 5 and √7.25 ≈ 2.69 exceed λ. Prox computes want.
		{GroupLasso{Axis: 1}, nil},
	}
	for i, tc := range cases {
		want := tc.want
		if want == nil {
			p := denseOf(tensor.Float64, []int{2, 3}, a)
			if err := tc.term.(ProxTerm).Prox(p, lambda); err != nil {
				t.Fatal(err)
			}
			want = floatsOf(p)
		}
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			g := gorgonia.NewGraph()
			w := gorgonia.NewMatrix(g, dt, gorgonia.WithShape(2, 3), gorgonia.WithName("w"),
				gorgonia.WithValue(denseOf(dt, []int{2, 3}, make([]float64, 6))))
			target := gorgonia.NewMatrix(g, dt, gorgonia.WithShape(2, 3), gorgonia.WithName("a"),
				gorgonia.WithValue(denseOf(dt, []int{2, 3}, a)))
			var lv any = lambda
			if dt == tensor.Float32 {
				lv = float32(lambda)
			}
			c := gorgonia.NewScalar(g, dt, gorgonia.WithName("lambda"), gorgonia.WithValue(lv))
			diff := gorgonia.Must(gorgonia.Sub(w, target))
			fit := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.Square(diff))))
			half := gorgonia.NewConstant(0.5)
			if dt == tensor.Float32 {
				half = gorgonia.NewConstant(float32(0.5))
			}
			pen, err := Penalty(w, c, tc.term)
			if err != nil {
				t.Fatal(err)
			}
			gorgonia.Must(gorgonia.Add(gorgonia.Must(gorgonia.Mul(half, fit)), pen))

			solver := gorgonia.NewVanillaSolver(gorgonia.WithLearnRate(eta))
			for s := 0; s < steps; s++ {
				// A LispMachine of Gorgonia v0.9.18 does not recompute
				// values after Reset, so every step gets a new machine.
				vm := gorgonia.NewLispMachine(g)
				if err := vm.RunAll(); err != nil {
					t.Fatalf("case %d %v step %d: %v", i, dt, s, err)
				}
				vm.Close()
				if err := solver.Step(gorgonia.NodesToValueGrads(gorgonia.Nodes{w})); err != nil {
					t.Fatalf("case %d %v step %d: %v", i, dt, s, err)
				}
			}
			tol := 1e-9
			if dt == tensor.Float32 {
				tol = 1e-5
			}
			for k, got := range floatsOf(w.Value()) {
				if math.Abs(got-want[k]) > tol {
					t.Errorf("case %d (%v, %v): w[%d] = %.10g; want %.10g", i, tc.term, dt, k, got, want[k])
				}
			}
		}
	}
}
