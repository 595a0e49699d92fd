package repro

import (
	"math"
	"testing"

	"github.com/regsched/regsched/experiments/datasets"
)

func TestLassoPathMatchesReference(t *testing.T) {
	d, err := datasets.Diabetes()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := LoadLassoReference("../../testdata/golden/lasso_diabetes.json")
	if err != nil {
		t.Fatal(err)
	}
	// The fits at α = 20, 10 and 5 (scikit-learn 1.2.1, tolerance 1e-12)
	// have 3 to 5 active features, where ISTA converges in a few hundred
	// steps; the reproduction runs the whole path.
	var points []LassoPoint
	for _, f := range ref.Fits {
		if f.Alpha >= 5 {
			points = append(points, f)
		}
	}
	points = reversed(points)
	if len(points) != 3 || points[0].Alpha != 20 {
		t.Fatalf("reference fits %v, want α = 20, 10, 5", points)
	}
	alphas := []float64{points[0].Alpha, points[1].Alpha, points[2].Alpha}
	ours, err := LassoPath(d, alphas, 2000)
	if err != nil {
		t.Fatal(err)
	}
	cmp, err := CompareLasso(d, ours, points)
	if err != nil {
		t.Fatal(err)
	}
	// The tolerance of the lasso-path reproduction's recipe.
	const lassoRelTolerance = 1e-6
	for i, c := range cmp {
		if math.Abs(c.RelGap) > lassoRelTolerance {
			t.Errorf("α = %v: relative objective gap %g, want ≤ %g", c.Alpha, c.RelGap, lassoRelTolerance)
		}
		// The stored objective and the one recomputed from the stored
		// coefficients agree to rounding.
		if math.Abs(c.RefObjective-points[i].Objective) > 1e-9*points[i].Objective {
			t.Errorf("α = %v: reference objective %v recomputed as %v", c.Alpha,
				points[i].Objective, c.RefObjective)
		}
		if !c.SameSupport {
			t.Errorf("α = %v: support differs: ours %v, reference %v", c.Alpha, c.Coef, c.RefCoef)
		}
		if c.Nonzero != points[i].Nonzero {
			t.Errorf("α = %v: non-zero count %d, reference %d", c.Alpha, c.Nonzero, points[i].Nonzero)
		}
	}
}

func TestLassoPathErrors(t *testing.T) {
	d, err := datasets.Diabetes()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		alphas []float64
		steps  int
	}{
		{alphas: nil, steps: 10},
		{alphas: []float64{-1}, steps: 10},
		{alphas: []float64{math.NaN()}, steps: 10},
		{alphas: []float64{math.Inf(1)}, steps: 10},
		{alphas: []float64{1}, steps: 0},
	}
	for i, c := range cases {
		if _, err := LassoPath(d, c.alphas, c.steps); err == nil {
			t.Errorf("case %d: LassoPath(%v, %d) returned no error", i, c.alphas, c.steps)
		}
	}
}
