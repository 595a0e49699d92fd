package ops_test

import (
	"math"
	"testing"

	"gorgonia.org/tensor"

	"github.com/regsched/regsched/ops"
)

// proxObjective returns a function computing ½‖x−w‖² + t·R(x) for
// 2-element x, reusing one tensor.
func proxObjective(term ops.Term, shape []int, w []float64, t float64) func(a, b float64) float64 {
	x := dense(tensor.Float64, shape, []float64{0, 0})
	d := x.Data().([]float64)
	return func(a, b float64) float64 {
		d[0], d[1] = a, b
		r, err := term.Value(x)
		if err != nil {
			panic(err)
		}
		return ((a-w[0])*(a-w[0])+(b-w[1])*(b-w[1]))/2 + t*r
	}
}

// gridMin minimises f over [−5, 5]² on a grid of spacing 0.1, then on a
// grid of spacing 0.002 within 0.1 of the best coarse point.
func gridMin(f func(a, b float64) float64) (best float64, arg [2]float64) {
	best = math.Inf(1)
	search := func(a0, b0, half, step float64) {
		n := int(math.Round(2 * half / step))
		for i := 0; i <= n; i++ {
			for j := 0; j <= n; j++ {
				a, b := a0-half+float64(i)*step, b0-half+float64(j)*step
				if v := f(a, b); v < best {
					best, arg = v, [2]float64{a, b}
				}
			}
		}
	}
	search(0, 0, 5, 0.1)
	search(arg[0], arg[1], 0.1, 0.002)
	return best, arg
}

var proxTerms = []struct {
	name  string
	term  ops.ProxTerm
	shape []int // two elements
}{
	{"L1", ops.L1{}, []int{2}},
	{"L2", ops.L2{}, []int{2}},
	{"ElasticNet", ops.ElasticNet{L1Ratio: 0.6}, []int{2}},
	{"GroupLassoVector", ops.GroupLasso{}, []int{2}},
	{"GroupLassoRows", ops.GroupLasso{Axis: 1}, []int{2, 1}},
	{"GroupLassoCols", ops.GroupLasso{Axis: 0}, []int{1, 2}},
	{"NuclearRow", ops.Nuclear{}, []int{1, 2}},
	{"NuclearColumn", ops.Nuclear{}, []int{2, 1}},
	{"NonNegative", ops.NonNegative{}, []int{2}},
	{"Box", ops.Box{Lo: -0.5, Hi: 1}, []int{2}},
	{"MaxNormRow", ops.MaxNorm{Max: 1, Axis: 1}, []int{1, 2}},
	{"MaxNormCols", ops.MaxNorm{Max: 0.6, Axis: 0}, []int{1, 2}},
	{"L1Ball", ops.L1Ball{Radius: 1}, []int{2}},
}

var proxPoints = [][]float64{
	{1.3, -0.4}, {0.2, 0.1}, {-2, 0.7}, {0, 0}, {0.45, -0.45}, {3, 4},
}

// TestProxBruteForce compares each prox p with a grid minimisation of
// f(x) = ½‖x−w‖² + t·R(x) over 2-element inputs. No grid point may beat
// p, and because f is 1-strongly convex its minimiser p* satisfies
// f(x) ≥ f(p*) + ½‖x−p*‖², which p must satisfy at the grid minimiser.
func TestProxBruteForce(t *testing.T) {
	for i, tc := range proxTerms {
		for j, w := range proxPoints {
			thresholds := []float64{0, 0.3, 1}
			if _, ok := tc.term.(ops.Constraint); ok {
				thresholds = thresholds[2:] // a projection ignores t
			}
			for _, th := range thresholds {
				x := dense(tensor.Float64, tc.shape, w)
				if err := tc.term.Prox(x, th); err != nil {
					t.Fatalf("case %d (%s) point %d: %v", i, tc.name, j, err)
				}
				p := floats(x)
				f := proxObjective(tc.term, tc.shape, w, th)
				fp := f(p[0], p[1])
				best, arg := gridMin(f)
				if fp > best+1e-12 {
					t.Errorf("case %d (%s) w=%v t=%v: prox %v has objective %.12g; grid point %v has %.12g",
						i, tc.name, w, th, p, fp, arg, best)
				}
				d2 := (p[0]-arg[0])*(p[0]-arg[0]) + (p[1]-arg[1])*(p[1]-arg[1])
				if d2/2 > best-fp+1e-9 {
					t.Errorf("case %d (%s) w=%v t=%v: prox %v breaks strong convexity at the grid "+
						"minimiser %v: ½‖x−p‖² = %.3g > f(x) − f(p) = %.3g",
						i, tc.name, w, th, p, arg, d2/2, best-fp)
				}
			}
		}
	}
}

// TestProxL1Optimality checks the subgradient condition of the soft
// threshold: w − p ∈ t·∂‖p‖₁, that is w−p = t·sign(p) where p ≠ 0 and
// |w−p| ≤ t where p = 0.
func TestProxL1Optimality(t *testing.T) {
	w := []float64{3, -3, 0.5, -0.5, 1, -1, 0, 1.0000001}
	const th = 1.0
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		x := dense(dt, []int{len(w)}, w)
		if err := (ops.L1{}).Prox(x, th); err != nil {
			t.Fatal(err)
		}
		tol := 1e-12
		if dt == tensor.Float32 {
			tol = 1e-6
		}
		for i, p := range floats(x) {
			r := w[i] - p
			switch {
			case p == 0 && math.Abs(r) > th+tol:
				t.Errorf("%v: element %d: p = 0 but |w−p| = %v > t", dt, i, math.Abs(r))
			case p != 0 && math.Abs(r-th*math.Copysign(1, p)) > tol:
				t.Errorf("%v: element %d: w−p = %v; want t·sign(p) = %v", dt, i, r, th*math.Copysign(1, p))
			}
		}
	}
}

// TestProxGroupLassoOptimality checks the block soft threshold's
// condition per group: w_g − p_g = t·p_g/‖p_g‖ when p_g ≠ 0 and
// ‖w_g‖ ≤ t when p_g = 0.
func TestProxGroupLassoOptimality(t *testing.T) {
	w := []float64{3, 4, 0, 0.3, -0.4, 0, 1, 0, 0}
	const th = 1.0
	x := dense(tensor.Float64, []int{3, 3}, w)
	if err := (ops.GroupLasso{Axis: 1}).Prox(x, th); err != nil {
		t.Fatal(err)
	}
	p := floats(x)
	for g := 0; g < 3; g++ {
		pg, wg := p[3*g:3*g+3], w[3*g:3*g+3]
		norm := math.Sqrt(pg[0]*pg[0] + pg[1]*pg[1] + pg[2]*pg[2])
		wn := math.Sqrt(wg[0]*wg[0] + wg[1]*wg[1] + wg[2]*wg[2])
		if norm == 0 {
			if wn > th {
				t.Errorf("group %d: zeroed but ‖w_g‖ = %v > t", g, wn)
			}
			continue
		}
		for k := range pg {
			if r := wg[k] - pg[k]; math.Abs(r-th*pg[k]/norm) > 1e-12 {
				t.Errorf("group %d element %d: w−p = %v; want t·p/‖p‖ = %v", g, k, r, th*pg[k]/norm)
			}
		}
	}
	// Group 1 has norm 0.5 and group 2 norm 1 = t, so both are exactly 0.
	for k := 3; k < 9; k++ {
		if p[k] != 0 {
			t.Errorf("element %d = %v; want exactly 0", k, p[k])
		}
	}
}

func TestGroupLassoZeroGroupGradient(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		w := dense(dt, []int{2, 2}, []float64{0, 0, 3, 4})
		grad := dense(dt, []int{2, 2}, []float64{0, 0, 0, 0})
		if err := (ops.GroupLasso{Axis: 1}).AddGrad(w, grad, 1); err != nil {
			t.Fatal(err)
		}
		want := []float64{0, 0, 0.6, 0.8}
		for i, g := range floats(grad) {
			if math.IsNaN(g) || math.Abs(g-want[i]) > 1e-6 {
				t.Errorf("%v: grad[%d] = %v; want %v", dt, i, g, want[i])
			}
		}
	}
}

func TestTermErrors(t *testing.T) {
	w := dense(tensor.Float64, []int{2, 2}, []float64{1, 2, 3, 4})
	w32 := dense(tensor.Float32, []int{2, 2}, []float64{1, 2, 3, 4})
	ints := tensor.New(tensor.WithShape(2), tensor.WithBacking([]int{1, 2}))
	cases := []struct {
		name string
		err  error
	}{
		{"L1 nil", func() error { _, err := (ops.L1{}).Value(nil); return err }()},
		{"L1 ints", func() error { _, err := (ops.L1{}).Value(ints); return err }()},
		{"L1 grad dtype", (ops.L1{}).AddGrad(w, w32, 1)},
		{"L1 grad shape", (ops.L1{}).AddGrad(w, dense(tensor.Float64, []int{4}, make([]float64, 4)), 1)},
		{"L1 NaN scale", (ops.L1{}).AddGrad(w, w.Clone().(*tensor.Dense), math.NaN())},
		{"L1 negative t", (ops.L1{}).Prox(w, -1)},
		{"ElasticNet ratio", func() error { _, err := (ops.ElasticNet{L1Ratio: 1.5}).Value(w); return err }()},
		{"LogSum zero Eps", func() error { _, err := (ops.LogSum{}).Value(w); return err }()},
		{"GroupLasso axis", func() error { _, err := (ops.GroupLasso{Axis: 2}).Value(w); return err }()},
		{"GroupLasso repeated", func() error {
			_, err := (ops.GroupLasso{Axes: []int{1, -1}}).Value(w)
			return err
		}()},
	}
	for i, tc := range cases {
		if tc.err == nil {
			t.Errorf("case %d (%s): no error", i, tc.name)
		}
	}
	// Errors must leave w unchanged.
	if got := floats(w); got[0] != 1 || got[3] != 4 {
		t.Errorf("w changed by failed calls: %v", got)
	}
}
