package ops_test

import (
	"math"
	"math/rand"
	"testing"

	"gonum.org/v1/gonum/mat"
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

// TestProxElementwiseOptimality checks the subgradient condition
// w − p ∈ t·∂R(p) elementwise: for L2, w − p = t·p; for the elastic net,
// w − p = t·(r·sign(p) + (1−r)·p) where p ≠ 0 and |w| ≤ t·r where p = 0.
func TestProxElementwiseOptimality(t *testing.T) {
	w := []float64{3, -3, 0.5, -0.5, 1, -1, 0, 0.61, -0.59}
	cases := []struct {
		term ops.ProxTerm
		r    float64 // the L1 share of the term
	}{
		{ops.L2{}, 0},
		{ops.ElasticNet{L1Ratio: 0.6}, 0.6},
		{ops.ElasticNet{L1Ratio: 1}, 1},
	}
	const th = 1.0
	for i, tc := range cases {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			x := dense(dt, []int{len(w)}, w)
			if err := tc.term.Prox(x, th); err != nil {
				t.Fatal(err)
			}
			tol := 1e-12
			if dt == tensor.Float32 {
				tol = 1e-6
			}
			for k, p := range floats(x) {
				if p == 0 {
					if math.Abs(w[k]) > th*tc.r+tol {
						t.Errorf("case %d (%v, %v): element %d is 0 but |w| = %v > t·r = %v",
							i, tc.term, dt, k, math.Abs(w[k]), th*tc.r)
					}
					continue
				}
				want := th * (tc.r*math.Copysign(1, p) + (1-tc.r)*p)
				if got := w[k] - p; math.Abs(got-want) > tol {
					t.Errorf("case %d (%v, %v): element %d: w−p = %v; want %v", i, tc.term, dt, k, got, want)
				}
			}
		}
	}
}

// TestProxNuclearOptimality checks singular value thresholding against
// the subgradient condition of the nuclear norm: with P = U_r·Σ_r·V_rᵀ
// the thin SVD of the prox point, W − P = t·U_r·V_rᵀ + E where
// U_rᵀ·E = 0, E·V_r = 0 and ‖E‖₂ ≤ t. Equivalently U_rᵀ(W−P)V_r = t·I
// and ‖W − P‖₂ ≤ t. It also checks that P's singular values are those of
// W reduced by t and floored at 0.
func TestProxNuclearOptimality(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	const th = 1.5
	for trial := 0; trial < 10; trial++ {
		raw := make([]float64, 12)
		for i := range raw {
			raw[i] = 2 * rng.NormFloat64()
		}
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			x := dense(dt, []int{4, 3}, raw)
			wMat := mat.NewDense(4, 3, floats(x)) // w as rounded to dt
			if err := (ops.Nuclear{}).Prox(x, th); err != nil {
				t.Fatal(err)
			}
			pMat := mat.NewDense(4, 3, floats(x))
			tol := 1e-9
			if dt == tensor.Float32 {
				tol = 1e-4
			}

			var ws, ps mat.SVD
			if !ws.Factorize(wMat, mat.SVDThin) || !ps.Factorize(pMat, mat.SVDThin) {
				t.Fatalf("trial %d (%v): SVD did not converge", trial, dt)
			}
			wsv, psv := ws.Values(nil), ps.Values(nil)
			rank := 0
			for k := range wsv {
				want := math.Max(wsv[k]-th, 0)
				if math.Abs(psv[k]-want) > tol {
					t.Errorf("trial %d (%v): σ_%d(P) = %v; want max(σ−t, 0) = %v", trial, dt, k, psv[k], want)
				}
				if want > tol {
					rank++
				}
			}

			var diff mat.Dense
			diff.Sub(wMat, pMat)
			var ds mat.SVD
			if !ds.Factorize(&diff, mat.SVDNone) {
				t.Fatalf("trial %d (%v): SVD did not converge", trial, dt)
			}
			// mat.Norm(·, 2) is the Frobenius norm, so ‖·‖₂ is σ₁.
			if n := ds.Values(nil)[0]; n > th+tol {
				t.Errorf("trial %d (%v): ‖W − P‖₂ = %v > t = %v", trial, dt, n, th)
			}
			var u, v mat.Dense
			ps.UTo(&u)
			ps.VTo(&v)
			ur, vr := u.Slice(0, 4, 0, rank), v.Slice(0, 3, 0, rank)
			var inner, tmp mat.Dense
			tmp.Mul(ur.T(), &diff)
			inner.Mul(&tmp, vr)
			for a := 0; a < rank; a++ {
				for b := 0; b < rank; b++ {
					want := 0.0
					if a == b {
						want = th
					}
					if got := inner.At(a, b); math.Abs(got-want) > tol {
						t.Errorf("trial %d (%v): (U_rᵀ(W−P)V_r)[%d,%d] = %v; want %v",
							trial, dt, a, b, got, want)
					}
				}
			}
		}
	}
}

// TestProxFloat32 compares each prox on float32 input with the float64
// result that TestProxBruteForce checks.
func TestProxFloat32(t *testing.T) {
	for i, tc := range proxTerms {
		for j, w := range proxPoints {
			x64 := dense(tensor.Float64, tc.shape, w)
			x32 := dense(tensor.Float32, tc.shape, w)
			if err := tc.term.Prox(x64, 0.3); err != nil {
				t.Fatalf("case %d (%s) point %d: %v", i, tc.name, j, err)
			}
			if err := tc.term.Prox(x32, 0.3); err != nil {
				t.Fatalf("case %d (%s) point %d: %v", i, tc.name, j, err)
			}
			want := floats(x64)
			for k, got := range floats(x32) {
				if math.Abs(got-want[k]) > 1e-6*math.Max(1, math.Abs(want[k])) {
					t.Errorf("case %d (%s) w=%v: float32 prox[%d] = %v; want %v", i, tc.name, w, k, got, want[k])
				}
			}
		}
	}
}

// TestProxGroupLasso4D checks that the block soft threshold of a
// convolution weight's filters and input channels equals that of the rows
// and columns of the same elements seen as a matrix.
func TestProxGroupLasso4D(t *testing.T) {
	w := []float64{3, 4, 0, 0.3, -0.4, 0.2, 1, -2, 2}
	cases := []struct {
		name   string
		conv   ops.GroupLasso
		shape  []int
		matrix ops.GroupLasso
	}{
		{"filters", ops.GroupLasso{Axes: []int{1, 2, 3}}, []int{3, 1, 3, 1}, ops.GroupLasso{Axis: 1}},
		{"channels", ops.GroupLasso{Axes: []int{0, 2, 3}}, []int{3, 3, 1, 1}, ops.GroupLasso{Axis: 0}},
	}
	for i, tc := range cases {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			conv := dense(dt, tc.shape, w)
			asMatrix := dense(dt, []int{3, 3}, w)
			if err := tc.conv.Prox(conv, 1); err != nil {
				t.Fatal(err)
			}
			if err := tc.matrix.Prox(asMatrix, 1); err != nil {
				t.Fatal(err)
			}
			want := floats(asMatrix)
			for k, got := range floats(conv) {
				if got != want[k] {
					t.Errorf("case %d (%s, %v): prox[%d] = %v; want %v", i, tc.name, dt, k, got, want[k])
				}
			}
		}
	}
}
