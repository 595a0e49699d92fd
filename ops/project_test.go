package ops_test

import (
	"math"
	"math/rand"
	"testing"

	"gorgonia.org/tensor"

	"github.com/regsched/regsched/ops"
)

// TestProjectionOptimal checks, on random points, that each projection p
// of w is feasible and satisfies the variational inequality
// ⟨w − p, x − p⟩ ≤ 0 for feasible points x, which characterises the
// Euclidean projection onto a closed convex set.
func TestProjectionOptimal(t *testing.T) {
	shape := []int{3, 4}
	cases := []struct {
		name string
		c    ops.Constraint
	}{
		{"NonNegative", ops.NonNegative{}},
		{"Box", ops.Box{Lo: -0.3, Hi: 0.5}},
		{"BoxHalfOpen", ops.Box{Lo: math.Inf(-1), Hi: 0.2}},
		{"MaxNormRows", ops.MaxNorm{Max: 0.8, Axis: 1}},
		{"MaxNormCols", ops.MaxNorm{Max: 0.5, Axis: 0}},
		{"L1Ball", ops.L1Ball{Radius: 1.5}},
		{"L1BallZero", ops.L1Ball{Radius: 0}},
	}
	rng := rand.New(rand.NewSource(3))
	random := func() []float64 {
		v := make([]float64, 12)
		for i := range v {
			v[i] = 2 * rng.NormFloat64()
		}
		return v
	}
	for i, tc := range cases {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			tol := 1e-9
			if dt == tensor.Float32 {
				tol = 1e-4
			}
			for trial := 0; trial < 20; trial++ {
				w := random()
				pt := dense(dt, shape, w)
				if err := tc.c.Project(pt); err != nil {
					t.Fatalf("case %d (%s): %v", i, tc.name, err)
				}
				if v, err := tc.c.Value(pt); err != nil || v != 0 {
					t.Fatalf("case %d (%s, %v): projection is infeasible: Value = %v, %v",
						i, tc.name, dt, v, err)
				}
				p := floats(pt)
				for k := 0; k < 50; k++ {
					xt := dense(tensor.Float64, shape, random())
					if err := tc.c.Project(xt); err != nil {
						t.Fatal(err)
					}
					x := floats(xt)
					var inner float64
					for j := range w {
						inner += (w[j] - p[j]) * (x[j] - p[j])
					}
					if inner > tol {
						t.Fatalf("case %d (%s, %v) trial %d: ⟨w−p, x−p⟩ = %v > 0", i, tc.name, dt, trial, inner)
					}
				}
			}
		}
	}
}

func TestProjectL1BallBoundary(t *testing.T) {
	// Duchi et al. 2008: projecting (3, 1, −2) onto radius 2 gives θ = 1.5,
	// so p = (1.5, 0, −0.5).
	w := dense(tensor.Float64, []int{3}, []float64{3, 1, -2})
	if err := ops.ProjectL1Ball(w, 2); err != nil {
		t.Fatal(err)
	}
	want := []float64{1.5, 0, -0.5}
	for i, got := range floats(w) {
		if math.Abs(got-want[i]) > 1e-12 {
			t.Errorf("p[%d] = %v; want %v", i, got, want[i])
		}
	}
	inside := dense(tensor.Float64, []int{2}, []float64{0.5, -0.25})
	if err := ops.ProjectL1Ball(inside, 1); err != nil {
		t.Fatal(err)
	}
	if got := floats(inside); got[0] != 0.5 || got[1] != -0.25 {
		t.Errorf("a point inside the ball moved to %v", got)
	}
}

func TestProjectionErrors(t *testing.T) {
	w := dense(tensor.Float64, []int{2, 2}, []float64{1, 2, 3, 4})
	cases := []struct {
		name string
		err  error
	}{
		{"box bounds", ops.ProjectBox(w, 1, 0)},
		{"box NaN", ops.ProjectBox(w, math.NaN(), 0)},
		{"max norm zero", ops.ProjectMaxNorm(w, 0, 1)},
		{"max norm axis", ops.ProjectMaxNorm(w, 1, 3)},
		{"l1 ball negative", ops.ProjectL1Ball(w, -1)},
		{"nil", ops.ProjectNonNegative(nil)},
	}
	for i, tc := range cases {
		if tc.err == nil {
			t.Errorf("case %d (%s): no error", i, tc.name)
		}
	}
	if got := floats(w); got[0] != 1 || got[3] != 4 {
		t.Errorf("failed projections changed w to %v", got)
	}
}

// TestSpectralNormWarmStart checks that one power iteration per call
// converges to σ₁ across calls, that two fresh terms give identical
// sequences, and that a new shape restarts the iteration.
func TestSpectralNormWarmStart(t *testing.T) {
	// [[2,1],[1,2]] has σ₁ = 3.
	w := dense(tensor.Float64, []int{2, 2}, []float64{2, 1, 1, 2})
	a, b := &ops.SpectralNorm{}, &ops.SpectralNorm{Iters: 1}
	var last float64
	for k := 0; k < 40; k++ {
		va, err := a.Value(w)
		if err != nil {
			t.Fatal(err)
		}
		vb, _ := b.Value(w)
		if va != vb {
			t.Fatalf("call %d: two fresh terms differ: %v, %v", k, va, vb)
		}
		if va < last-1e-12 || va > 3+1e-12 {
			t.Fatalf("call %d: estimate %v is not rising towards 3 (previous %v)", k, va, last)
		}
		last = va
	}
	if math.Abs(last-3) > 1e-9 {
		t.Errorf("after 40 calls σ₁ = %v; want 3", last)
	}
	// diag(1, 5, 2) as a 3×3 matrix: σ₁ = 5.
	w3 := dense(tensor.Float64, []int{3, 3}, []float64{1, 0, 0, 0, 5, 0, 0, 0, 2})
	for k := 0; k < 60; k++ {
		last, _ = a.Value(w3)
	}
	if math.Abs(last-5) > 1e-9 {
		t.Errorf("after a shape change σ₁ = %v; want 5", last)
	}
	if _, err := (&ops.SpectralNorm{Iters: -1}).Value(w); err == nil {
		t.Error("negative Iters: no error")
	}
}
